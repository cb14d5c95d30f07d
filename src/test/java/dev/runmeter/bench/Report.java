package dev.runmeter.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The figures of one benchmark JVM as Markdown, written to target/bench/ and echoed to stdout as they come. */
final class Report {

    private final Path file;
    private final StringBuilder text = new StringBuilder();

    Report(String fileName) {
        this.file = Path.of("target", "bench", fileName);
    }

    synchronized void line(String line) {
        text.append(line).append('\n');
        System.out.println("[bench] " + line);
        write();
    }

    void section(String title) {
        line("");
        line("## " + title);
        line("");
    }

    void code(String block) {
        line("```");
        line(block.stripTrailing());
        line("```");
    }

    /** Written after every line, so a run that dies half-way still leaves what it measured. */
    private void write() {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
