package dev.runmeter.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.runmeter.http.Problem;
import dev.runmeter.runs.RunDocument;
import dev.runmeter.sweep.SweepReport;
import dev.runmeter.usage.UsageDocument;
import dev.runmeter.usage.UsageRunsDocument;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A native image only lets Jackson see the accessors of classes registered for reflection, so a document that
 * is not comes out as {@code {}} in production while every JVM test passes. The documents are found in the
 * bytecode (what reaches a JSON sink), not in a list.
 */
class SerializedDocumentsTest {

    @Test
    void everyRecordRunmeterWritesAsJsonIsRegisteredForReflection() {
        Set<String> unregistered = new TreeSet<>();
        for (Class<?> document : CompiledCode.serializedRecords(CompiledCode.applicationClasses())) {
            if (!document.isAnnotationPresent(RegisterForReflection.class)) {
                unregistered.add(document.getName());
            }
        }
        assertEquals(Set.of(), unregistered);
    }

    @Test
    void theAnalysisFindsEveryFunctionsOutputAndWhatItHolds() {
        Set<Class<?>> found = CompiledCode.serializedRecords(CompiledCode.applicationClasses());
        // a guard on the analysis itself: these are the documents of contract sections 4 to 6
        assertTrue(found.containsAll(List.of(UsageDocument.class, UsageDocument.RunCounts.class,
                UsageRunsDocument.class, UsageRunsDocument.Run.class, RunDocument.class, SweepReport.class,
                SweepReport.Stats.class, SweepReport.OldestRunning.class, Problem.class)), found.toString());
    }

    @Test
    void anUnregisteredDocumentIsFound() {
        assertEquals(Set.of(WritesAnUnregisteredDocument.Secret.class, WritesAnUnregisteredDocument.Inner.class),
                CompiledCode.serializedRecords(List.of(WritesAnUnregisteredDocument.class)));
    }

    /** The mistake the check exists for. */
    static final class WritesAnUnregisteredDocument {

        record Secret(String name, List<Inner> inner) {
        }

        record Inner(long value) {
        }

        void write(OutputStream output) throws IOException {
            new ObjectMapper().writeValue(output, new Secret("x", List.of(new Inner(1))));
        }
    }
}
