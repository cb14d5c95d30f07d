package dev.runmeter.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ExtractableResponse;

/**
 * The {@code sweep} function through the Lambda wire only (the operator's stats invoke and EventBridge's
 * Scheduled Event), so the same tests run against the packaged or native binary in {@link SweepFunctionIT}.
 */
@QuarkusTest
@TestProfile(SweepFunctionTest.Sweep.class)
@WithTestResource(FakeStepFunctions.class)
class SweepFunctionBlackBoxTest {

    @Test
    void aStatsSweepReportsWithoutChangingAnything() {
        JsonNode report = invoke("{\"mode\": \"stats\"}");

        assertEquals("stats", report.get("mode").asText());
        assertEquals(0, report.get("found").asLong());
        JsonNode stats = report.get("stats");
        assertEquals(4, stats.get("byStatus").size(), stats::toString);
        assertTrue(stats.has("runningByAge") && stats.has("runningOverOneHour") && stats.has("oldestRunning"), stats::toString);
    }

    @Test
    void theScheduledEventSweepsEverything() throws IOException {
        JsonNode report = invoke(Files.readString(Path.of("events", "eventbridge-scheduled.json")));

        assertEquals("all", report.get("mode").asText());
        assertTrue(report.get("stats").isObject(), report::toString);
    }

    private static JsonNode invoke(String event) {
        ExtractableResponse<?> response = Lambda.invoke(event);
        assertEquals(200, response.statusCode(), response.asString());
        try {
            return HttpApiEvent.JSON.readTree(response.asString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
