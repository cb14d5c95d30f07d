package dev.runmeter.runs;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static dev.runmeter.support.FakeStepFunctions.awsError;
import static dev.runmeter.support.FakeStepFunctions.operation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;

import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.Lambda.HttpResult;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The {@code runs} function through the Lambda mock event server, with Step Functions faked at the HTTP wire. */
@QuarkusTest
@TestProfile(RunsProfile.class)
@QuarkusTestResource(FakeStepFunctions.class)
class RunsFunctionTest {

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    RunRows rows;
    String user;

    @BeforeEach
    void setUp() {
        FakeStepFunctions.reset(stepFunctions);
        rows = new RunRows(dataSource);
        user = RunRows.newUser();
        clock.set("2026-11-20T12:00:00Z");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private HttpResult start(String body) {
        return Lambda.http(HttpApiEvent.post("/v1/runs").user(user).body(body));
    }

    private HttpResult get(String runId, String asUser) {
        return Lambda.http(HttpApiEvent.get("/v1/runs/" + runId).user(asUser)
                .matchedRoute("GET /v1/runs/{runId}", Map.of("runId", runId)));
    }

    private HttpResult stop(String runId, String asUser) {
        return Lambda.http(HttpApiEvent.post("/v1/runs/" + runId + "/stop").user(asUser)
                .matchedRoute("POST /v1/runs/{runId}/stop", Map.of("runId", runId)));
    }

    private long runsOf(String userId) {
        return rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ?", userId);
    }

    @Test
    void aStartRecordsTheRunAndStartsAnExecutionNamedAfterIt() {
        HttpResult result = start("{\"threadId\": \"thread-7\", \"input\": {\"prompt\": \"Summarise\"}}");

        assertEquals(202, result.status(), () -> result.body().toString());
        JsonNode run = result.body();
        String runId = run.get("runId").asText();
        assertEquals("running", run.get("status").asText());
        assertEquals(user, run.get("userId").asText());
        assertEquals("thread-7", run.get("threadId").asText());
        assertEquals("2026-11-20T12:00:00Z", run.get("startedAt").asText());
        assertEquals("2026-11-20T14:00:00Z", run.get("deadline").asText());
        assertEquals(FakeStepFunctions.EXECUTION_ARN_PREFIX + runId, run.get("executionArn").asText());
        assertEquals(0, run.get("billedMs").asLong());

        List<JsonNode> starts = FakeStepFunctions.bodiesOf(stepFunctions, "StartExecution");
        assertEquals(1, starts.size());
        JsonNode request = starts.get(0);
        assertEquals(runId, request.get("name").asText());
        assertEquals(FakeStepFunctions.STATE_MACHINE_ARN, request.get("stateMachineArn").asText());
        JsonNode input = HttpApiEvent.JSON.valueToTree(parse(request.get("input").asText()));
        assertEquals(runId, input.get("runId").asText());
        assertEquals(user, input.get("userId").asText());
        assertEquals("thread-7", input.get("threadId").asText());
        assertEquals("Summarise", input.get("input").get("prompt").asText());
        assertEquals("2026-11-20T14:00:00Z", input.get("deadline").asText());

        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ?::uuid AND status = 'running' "
                + "AND execution_arn = ?", runId, FakeStepFunctions.EXECUTION_ARN_PREFIX + runId));
    }

    @Test
    void theSampleEventWithABase64BodyAndAnIdempotencyKeyStartsOnceAndReplays() throws Exception {
        ObjectNode sample = (ObjectNode) HttpApiEvent.JSON.readTree(
                Files.readString(Path.of("events", "http-api-post-run-base64.json")));
        ((ObjectNode) sample.at("/requestContext/authorizer/jwt/claims")).put("sub", user);
        String event = HttpApiEvent.JSON.writeValueAsString(sample);

        JsonNode first = HttpApiEvent.JSON.readTree(Lambda.invoke(event).asString());
        JsonNode second = HttpApiEvent.JSON.readTree(Lambda.invoke(event).asString());

        assertEquals(202, first.get("statusCode").asInt());
        assertEquals(200, second.get("statusCode").asInt());
        JsonNode run = HttpApiEvent.JSON.readTree(first.get("body").asText());
        assertEquals("thread-42", run.get("threadId").asText());
        assertEquals(run.get("runId"), HttpApiEvent.JSON.readTree(second.get("body").asText()).get("runId"));
        assertEquals(1, FakeStepFunctions.bodiesOf(stepFunctions, "StartExecution").size());
        assertEquals(1, runsOf(user));
    }

    @Test
    void idempotencyKeysArePerUser() {
        HttpResult mine = Lambda.http(HttpApiEvent.post("/v1/runs").user(user).header("idempotency-key", "k-1"));
        String other = RunRows.newUser();
        HttpResult theirs = Lambda.http(HttpApiEvent.post("/v1/runs").user(other).header("idempotency-key", "k-1"));

        assertEquals(202, mine.status());
        assertEquals(202, theirs.status());
        assertTrue(!mine.body().get("runId").equals(theirs.body().get("runId")));
    }

    @Test
    void aStartOverThePlansMinutesIsRefusedAndWritesNothing() {
        rows.completed(user, "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z");

        HttpResult result = start(null);

        assertEquals(402, result.status());
        assertEquals("usage_limit_exceeded", result.code());
        assertEquals("Monthly limit of 60 minutes reached", result.body().get("detail").asText());
        assertEquals(1, runsOf(user));
        assertEquals(0, FakeStepFunctions.bodiesOf(stepFunctions, "StartExecution").size());
    }

    @Test
    void whenStepFunctionsCannotStartTheRunItFailsAsStartFailedAndBillsNothing() {
        for (var failure : List.of(
                awsError(400, "ThrottlingException", "Rate exceeded"),
                awsError(500, "InternalServerError", "boom"),
                awsError(400, "AccessDeniedException", "not authorized to perform states:StartExecution"),
                aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
                FakeStepFunctions.json(200, "{}").withFixedDelay(1500))) {
            FakeStepFunctions.reset(stepFunctions);
            stepFunctions.stubFor(operation("StartExecution").willReturn(failure));
            String runner = RunRows.newUser();

            HttpResult result = Lambda.http(HttpApiEvent.post("/v1/runs").user(runner));

            assertEquals(503, result.status(), () -> result.body().toString());
            assertEquals("orchestrator_unavailable", result.code());
            assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ? AND status = 'failed' "
                    + "AND failure_reason = 'start_failed' AND completed_at IS NOT NULL", runner));
            assertEquals(0, rows.count("SELECT count(*) FROM agent_runs WHERE status = 'running' AND user_id = ?",
                    runner));
        }
    }

    @Test
    void inputLargerThanStepFunctionsAcceptsIsRefusedBeforeAnythingIsWritten() {
        String big = "x".repeat(256 * 1024 - 100); // the body fits; with the run's fields the execution input does not

        HttpResult result = start("{\"input\": \"" + big + "\"}");

        assertEquals(413, result.status());
        assertEquals("payload_too_large", result.code());
        assertEquals(0, runsOf(user));
    }

    @Test
    void aRunIsReadByItsOwnerOnly() {
        String runId = start(null).body().get("runId").asText();

        HttpResult mine = get(runId, user);
        assertEquals(200, mine.status());
        assertEquals(runId, mine.body().get("runId").asText());

        HttpResult theirs = get(runId, "someone-else");
        HttpResult nobodys = get("00000000-0000-4000-8000-000000000000", user);
        assertEquals(404, theirs.status());
        assertEquals(404, nobodys.status());
        assertEquals(theirs.body().get("code"), nobodys.body().get("code"));

        assertEquals(400, get("not-a-uuid", user).status());
    }

    @Test
    void aStopStopsTheExecutionAndBillsUpToNow() {
        String runId = start(null).body().get("runId").asText();
        clock.set("2026-11-20T12:07:30Z");

        HttpResult stopped = stop(runId, user);

        assertEquals(200, stopped.status(), () -> stopped.body().toString());
        assertEquals("stopped", stopped.body().get("status").asText());
        assertEquals("2026-11-20T12:07:30Z", stopped.body().get("completedAt").asText());
        assertEquals(450_000, stopped.body().get("billedMs").asLong());
        List<JsonNode> stops = FakeStepFunctions.bodiesOf(stepFunctions, "StopExecution");
        assertEquals(1, stops.size());
        assertEquals(FakeStepFunctions.EXECUTION_ARN_PREFIX + runId, stops.get(0).get("executionArn").asText());

        HttpResult again = stop(runId, user);
        assertEquals(409, again.status());
        assertEquals("run_not_running", again.code());
        assertTrue(again.body().get("detail").asText().contains("stopped"));
    }

    @Test
    void anotherUsersRunCannotBeStopped() {
        String runId = start(null).body().get("runId").asText();

        HttpResult result = stop(runId, "someone-else");

        assertEquals(404, result.status());
        assertEquals(0, FakeStepFunctions.bodiesOf(stepFunctions, "StopExecution").size());
        assertEquals("running", get(runId, user).body().get("status").asText());
    }

    @Test
    void whenStepFunctionsCannotStopTheRunItStaysRunning() {
        String runId = start(null).body().get("runId").asText();
        stepFunctions.stubFor(operation("StopExecution").willReturn(awsError(500, "InternalServerError", "boom")));

        HttpResult result = stop(runId, user);

        assertEquals(503, result.status());
        assertEquals("orchestrator_unavailable", result.code());
        assertEquals("running", get(runId, user).body().get("status").asText());
    }

    @Test
    void badStartRequestsAreRefusedAndWriteNothing() {
        for (String body : List.of("not json", "[]", "\"text\"", "{\"threadId\": 42}", "{\"threadId\": \"\"}",
                "{\"surprise\": true}", "{\"threadId\": \"" + "t".repeat(257) + "\"}", "{} {}")) {
            HttpResult result = start(body);
            assertEquals(400, result.status(), body);
            assertEquals("invalid_request", result.code(), body);
        }
        HttpResult longKey = Lambda.http(HttpApiEvent.post("/v1/runs").user(user)
                .header("idempotency-key", "k".repeat(129)));
        assertEquals(400, longKey.status());
        assertEquals(0, runsOf(user));
        assertEquals(0, FakeStepFunctions.bodiesOf(stepFunctions, "StartExecution").size());
    }

    private static JsonNode parse(String json) {
        try {
            return HttpApiEvent.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void assertRunning(JsonNode run) {
        assertNotNull(run.get("executionArn"));
    }
}
