package dev.runmeter.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;

import org.junit.jupiter.api.Test;

/** The committed sample month is exactly what the generator writes, so anyone can reproduce or change it. */
class SampleMonthFileTest {

    @Test
    void theCommittedFileIsTheGeneratorsOutput() throws IOException {
        assertEquals(SampleMonthGenerator.sql(SampleMonthGenerator.generate()),
                Files.readString(SampleMonthGenerator.FILE),
                "dev-data/ differs from SampleMonthGenerator's output: regenerate it (see the README)");
    }

    @Test
    void theFileStaysSmall() throws IOException {
        assertTrue(Files.size(SampleMonthGenerator.FILE) < 1_000_000);
    }
}
