package dev.runmeter.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** The {@code run-finalizer} function as the state machine invokes it: at least once, sometimes late. */
@QuarkusTest
@TestProfile(RunFinalizerFunctionTest.Finalizer.class)
class RunFinalizerFunctionTest {

    public static class Finalizer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.lambda.handler", "run-finalizer");
        }
    }

    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    RunRows rows;
    String user;
    UUID run;

    @BeforeEach
    void setUp() {
        rows = new RunRows(dataSource);
        user = RunRows.newUser();
        run = rows.running(user, "2026-11-20T11:00:00Z");
        clock.set("2026-11-20T11:20:00Z");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private JsonNode finalize(String event) {
        return Lambda.direct(event);
    }

    private JsonNode failure(String event) {
        return Lambda.error(event);
    }

    private String event(String outcome, String extra) {
        return "{\"runId\": \"" + run + "\", \"outcome\": \"" + outcome + "\"" + extra + "}";
    }

    @Test
    void succeededCompletesTheRunNow() {
        JsonNode result = finalize(event("succeeded", ""));

        assertEquals("completed", result.get("status").asText());
        assertEquals("2026-11-20T11:20:00Z", result.get("completedAt").asText());
        assertEquals(20 * 60_000, result.get("billedMs").asLong());
        assertTrue(result.get("failureReason").isNull());
    }

    @Test
    void theTimeBoxRunningOutFailsTheRunAsTimeout() {
        JsonNode result = finalize(event("failed", ", \"error\": \"States.Timeout\", \"cause\": \"\","
                + " \"completedAt\": \"2026-11-20T13:00:00.000+00:00\""));

        assertEquals("failed", result.get("status").asText());
        assertEquals("timeout", result.get("failureReason").asText());
        assertEquals("Agent run exceeded 2.0 hour timeout", result.get("error").asText());
        assertEquals(2 * 3_600_000, result.get("billedMs").asLong());
    }

    @Test
    void aMissedHeartbeatFailsTheRunAsHeartbeatTimeout() {
        JsonNode result = finalize(event("failed", ", \"error\": \"States.HeartbeatTimeout\""));

        assertEquals("heartbeat_timeout", result.get("failureReason").asText());
        assertEquals(20 * 60_000, result.get("billedMs").asLong());
    }

    @Test
    void anyOtherErrorFailsTheRunWithErrorAndCause() {
        JsonNode result = finalize(event("failed", ", \"error\": \"AgentCrashed\", \"cause\": \"tool loop\""));

        assertEquals("error", result.get("failureReason").asText());
        assertEquals("AgentCrashed: tool loop", result.get("error").asText());
    }

    @Test
    void theFirstTerminalStateWinsOverDuplicatesAndLateDeliveries() {
        String succeeded = event("succeeded", ", \"completedAt\": \"2026-11-20T12:10:00+01:00\"");
        JsonNode first = finalize(succeeded);
        clock.set("2026-11-20T11:45:00Z");
        JsonNode second = finalize(succeeded);
        JsonNode third = finalize(succeeded);
        JsonNode late = finalize(event("failed", ", \"error\": \"States.Timeout\""));

        assertEquals("2026-11-20T11:10:00Z", first.get("completedAt").asText());
        for (JsonNode again : new JsonNode[] { second, third, late }) {
            assertEquals("completed", again.get("status").asText());
            assertEquals("2026-11-20T11:10:00Z", again.get("completedAt").asText());
            assertEquals(10 * 60_000, again.get("billedMs").asLong());
        }
    }

    @Test
    void aLateCompletionAfterAStopLeavesTheRunStopped() {
        rows.execute("UPDATE agent_runs SET status = 'stopped', completed_at = '2026-11-20T11:05:00Z' WHERE id = ?",
                run);

        JsonNode result = finalize(event("succeeded", ""));

        assertEquals("stopped", result.get("status").asText());
        assertEquals(5 * 60_000, result.get("billedMs").asLong());
    }

    @Test
    void aTimestampWithoutAnOffsetIsATypedErrorAndChangesNothing() {
        JsonNode error = failure(event("succeeded", ", \"completedAt\": \"2026-11-20T11:10:00\""));

        assertEquals("dev.runmeter.lambda.InvalidEventException", error.get("errorType").asText());
        assertTrue(error.get("errorMessage").asText().contains("offset"));
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ? AND status = 'running'", run));
    }

    @Test
    void anUnknownRunIsATypedError() {
        JsonNode error = failure("{\"runId\": \"" + UUID.randomUUID() + "\", \"outcome\": \"succeeded\"}");

        assertEquals("dev.runmeter.runs.RunNotFoundException", error.get("errorType").asText());
    }

    @Test
    void malformedFinalizationsAreTypedErrorsAndChangeNothing() {
        for (String event : new String[] { "not json", "[]", "{}", "{\"runId\": \"" + run + "\"}",
                event("done", ""), event("succeeded", ", \"extra\": 1"), "{\"runId\": 7, \"outcome\": \"failed\"}",
                "{\"runId\": \"../../etc\", \"outcome\": \"failed\"}", event("failed", ", \"error\": 5"),
                event("succeeded", ", \"completedAt\": \"yesterday\""),
                event("succeeded", ", \"completedAt\": \"2026-11-20T10:59:59Z\"") }) {
            JsonNode error = failure(event);
            assertEquals("dev.runmeter.lambda.InvalidEventException", error.get("errorType").asText(), event);
        }
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ? AND status = 'running'", run));
    }
}
