package dev.runmeter.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.Lambda.HttpResult;
import dev.runmeter.support.RunRows;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * A run's life through the {@code runs} function, seen only through the Lambda wire and the fake Step Functions
 * endpoint, so the same tests run against the packaged or native binary in {@link RunsFunctionIT}: the AWS SDK
 * client and the run document are what a native image can break.
 */
@QuarkusTest
@TestProfile(RunsProfile.class)
@WithTestResource(FakeStepFunctions.class)
class RunsFunctionBlackBoxTest {

    @Test
    void aRunStartsIsReadAndStops() {
        String user = RunRows.newUser();
        HttpResult started = Lambda.http(HttpApiEvent.post("/v1/runs").user(user).body("{\"threadId\": \"thread-1\"}"));
        assertEquals(202, started.status(), () -> started.body().toString());
        String runId = started.body().get("runId").asText();
        assertEquals(FakeStepFunctions.EXECUTION_ARN_PREFIX + runId, started.body().get("executionArn").asText());

        HttpResult read = Lambda.http(HttpApiEvent.get("/v1/runs/" + runId).user(user)
                .matchedRoute("GET /v1/runs/{runId}", Map.of("runId", runId)));
        assertEquals(200, read.status());
        assertEquals("running", read.body().get("status").asText());
        assertEquals("thread-1", read.body().get("threadId").asText());

        HttpResult stopped = Lambda.http(HttpApiEvent.post("/v1/runs/" + runId + "/stop").user(user)
                .matchedRoute("POST /v1/runs/{runId}/stop", Map.of("runId", runId)));
        assertEquals(200, stopped.status(), () -> stopped.body().toString());
        JsonNode run = stopped.body();
        assertEquals("stopped", run.get("status").asText());
        assertEquals(user, run.get("userId").asText());
        assertEquals(11, run.size(), run::toString);
    }

    @Test
    void anotherUsersRunIsNotFound() {
        String runId = Lambda.http(HttpApiEvent.post("/v1/runs").user(RunRows.newUser())).body().get("runId").asText();

        HttpResult read = Lambda.http(HttpApiEvent.get("/v1/runs/" + runId).user(RunRows.newUser())
                .matchedRoute("GET /v1/runs/{runId}", Map.of("runId", runId)));

        assertEquals(404, read.status());
        assertEquals("application/problem+json", read.contentType());
    }
}
