package dev.runmeter.runs;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static dev.runmeter.support.FakeStepFunctions.awsError;
import static dev.runmeter.support.FakeStepFunctions.json;
import static dev.runmeter.support.FakeStepFunctions.operation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;

import dev.runmeter.support.DatabaseSnapshot;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.Lambda.HttpResult;
import dev.runmeter.support.LogCapture;
import dev.runmeter.support.Problems;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The {@code runs} function when a stop races the state machine's finalization, when Step Functions fails a stop,
 * when one user aims at another's runs, and what it writes to its logs about a caller.
 */
@QuarkusTest
@TestProfile(RunsProfile.class)
@QuarkusTestResource(FakeStepFunctions.class)
class RunsRacesAndIsolationTest {

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;
    @Inject
    RunFinalizer finalizer;

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

    private String startRun(String asUser) {
        HttpResult started = Lambda.http(HttpApiEvent.post("/v1/runs").user(asUser)
                .header("idempotency-key", UUID.randomUUID().toString()));
        assertEquals(202, started.status(), () -> started.body().toString());
        return started.body().get("runId").asText();
    }

    private static HttpResult get(String runId, String asUser) {
        return Lambda.http(HttpApiEvent.get("/v1/runs/" + runId).user(asUser)
                .matchedRoute("GET /v1/runs/{runId}", Map.of("runId", runId)));
    }

    private static HttpResult stop(String runId, String asUser) {
        return Lambda.http(HttpApiEvent.post("/v1/runs/" + runId + "/stop").user(asUser)
                .matchedRoute("POST /v1/runs/{runId}/stop", Map.of("runId", runId)));
    }

    private String statusOf(String runId) {
        return rows.count("SELECT count(*) FROM agent_runs WHERE id = ?::uuid AND status = 'running'", runId) == 1
                ? "running" : "finished";
    }

    @Test
    void aFinalizationThatLandsWhileAStopIsInFlightWinsAndTheStopSaysSo() throws Exception {
        String runId = startRun(user);
        clock.set("2026-11-20T12:10:00Z");
        stepFunctions.stubFor(operation("StopExecution").willReturn(json(200, "{\"stopDate\": 1796310000.0}")
                .withFixedDelay(900)));

        CompletableFuture<HttpResult> stopping = CompletableFuture.supplyAsync(() -> stop(runId, user));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (stepFunctions.getAllServeEvents().stream().noneMatch(e -> e.getRequest().getHeader("X-Amz-Target")
                .endsWith("StopExecution")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        RunDocument finalized = finalizer.finalize(new Finalization(UUID.fromString(runId), true, null, null,
                java.time.OffsetDateTime.parse("2026-11-20T12:09:00Z")));
        HttpResult stopped = stopping.get(10, TimeUnit.SECONDS);

        assertEquals("completed", finalized.status());
        Problems.assertProblem(stopped, 409, "run_not_running");
        assertTrue(stopped.body().get("detail").asText().contains("completed"), stopped.body().toString());
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ?::uuid AND status = 'completed' "
                + "AND completed_at = '2026-11-20T12:09:00Z'::timestamptz", runId));
        assertEquals(9 * 60_000, get(runId, user).body().get("billedMs").asLong());
    }

    @Test
    void aFinalizationAfterAStopChangesNothingHoweverOftenItIsDelivered() {
        String runId = startRun(user);
        clock.set("2026-11-20T12:05:00Z");
        assertEquals(200, stop(runId, user).status());
        String afterStop = DatabaseSnapshot.of(dataSource);

        for (int delivery = 0; delivery < 3; delivery++) {
            RunDocument again = finalizer.finalize(new Finalization(UUID.fromString(runId), false,
                    "States.Timeout", null, null));
            assertEquals("stopped", again.status());
        }

        assertEquals(afterStop, DatabaseSnapshot.of(dataSource));
    }

    static Stream<Arguments> stepFunctionsFailures() {
        return Stream.of(
                Arguments.of("throttled", awsError(400, "ThrottlingException", "Rate exceeded")),
                Arguments.of("internal error", awsError(500, "InternalServerError", "boom")),
                Arguments.of("service unavailable", awsError(503, "ServiceUnavailable", "try later")),
                Arguments.of("access denied", awsError(400, "AccessDeniedException", "not authorized")),
                Arguments.of("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)),
                Arguments.of("garbage answer", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)),
                Arguments.of("no answer in time", json(200, "{}").withFixedDelay(1500)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stepFunctionsFailures")
    void aStopThatStepFunctionsFailsLeavesTheRunRunningAndCanBeRetried(String name,
            ResponseDefinitionBuilder failure) {
        String runId = startRun(user);
        stepFunctions.stubFor(operation("StopExecution").willReturn(failure));
        String before = DatabaseSnapshot.of(dataSource);

        HttpResult refused = stop(runId, user);

        Problems.assertProblem(refused, 503, "orchestrator_unavailable");
        assertEquals(before, DatabaseSnapshot.of(dataSource));
        FakeStepFunctions.reset(stepFunctions);
        assertEquals(200, stop(runId, user).status());
        assertEquals("finished", statusOf(runId));
    }

    @Test
    void anotherUsersRunAndARunThatDoesNotExistAnswerAlike() {
        String mine = startRun(user);
        String intruder = RunRows.newUser();
        String nobodys = UUID.randomUUID().toString();
        String before = DatabaseSnapshot.of(dataSource);

        for (var call : List.<java.util.function.BiFunction<String, String, HttpResult>>of(
                RunsRacesAndIsolationTest::get, RunsRacesAndIsolationTest::stop)) {
            HttpResult theirs = call.apply(mine, intruder);
            HttpResult missing = call.apply(nobodys, intruder);

            Problems.assertProblem(theirs, 404, "not_found");
            Problems.assertProblem(missing, 404, "not_found");
            assertEquals(missing.body().toString().replace(nobodys, "<id>"),
                    theirs.body().toString().replace(mine, "<id>"));
        }

        assertEquals(before, DatabaseSnapshot.of(dataSource));
        assertEquals(0, FakeStepFunctions.bodiesOf(stepFunctions, "StopExecution").size());
        assertEquals("running", get(mine, user).body().get("status").asText());
    }

    @Test
    void aCallerCannotActForAnotherUserThroughTheBody() {
        String victim = RunRows.newUser();

        HttpResult result = Lambda.http(HttpApiEvent.post("/v1/runs").user(user)
                .body("{\"userId\": \"" + victim + "\"}"));

        Problems.assertProblem(result, 400, "invalid_request");
        assertEquals(0, rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ?", victim));
    }

    @Test
    void logsNameTheCallerBySubAndNothingElseOfTheToken() {
        String jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOiJ4IiwiZW1haWwiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA";
        String email = "secret-person-" + UUID.randomUUID() + "@example.com";
        String issuer = "https://issuer-" + UUID.randomUUID() + ".example.com";
        try (LogCapture logs = LogCapture.install()) {
            HttpApiEvent start = HttpApiEvent.post("/v1/runs").user(user).header("authorization", "Bearer " + jwt)
                    .header("idempotency-key", UUID.randomUUID().toString()).body("{\"threadId\": \"t\"}");
            start.document().with("requestContext").with("authorizer").with("jwt").with("claims")
                    .put("email", email).put("iss", issuer).put("cognito:username", email);
            HttpResult started = Lambda.http(start);
            String runId = started.body().get("runId").asText();
            stepFunctions.stubFor(operation("StopExecution").willReturn(awsError(500, "InternalServerError", "x")));
            stop(runId, user);
            FakeStepFunctions.reset(stepFunctions);
            stop(runId, user);
            stop(runId, "intruder-" + UUID.randomUUID());
            get("not-a-uuid", user);

            assertTrue(logs.lines().stream().anyMatch(line -> line.contains(user)), "the caller was never logged");
            for (String secret : List.of(jwt, "Bearer", email, issuer)) {
                assertEquals(List.of(), logs.containing(secret), secret + " reached the logs");
            }
        }
    }
}
