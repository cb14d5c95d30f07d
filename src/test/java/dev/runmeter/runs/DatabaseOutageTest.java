package dev.runmeter.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.github.tomakehurst.wiremock.WireMockServer;

import dev.runmeter.support.CuttableProxy;
import dev.runmeter.support.DatabaseBehindProxy;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.Lambda.HttpResult;
import dev.runmeter.support.LogCapture;
import dev.runmeter.support.Problems;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * The {@code runs} function while its database is unreachable (from start-up on) or goes away in the middle of a
 * request: a 503 {@code service_unavailable}, nothing half-written, and service again as soon as the database is
 * back, without a restart.
 */
@QuarkusTest
@TestProfile(DatabaseOutageTest.Outage.class)
@QuarkusTestResource(FakeStepFunctions.class)
@WithTestResource(value = DatabaseBehindProxy.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseOutageTest {

    public static class Outage implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.lambda.handler", "runs");
        }
    }

    private static final String RAW_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    private static LogCapture logs;

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @DatabaseBehindProxy.Inject
    CuttableProxy database;
    @DatabaseBehindProxy.Inject
    DataSource direct;
    @Inject
    TestClock clock;

    RunRows rows;
    String user;

    @BeforeAll
    static void captureLogs() {
        logs = LogCapture.install();
    }

    @BeforeEach
    void setUp() {
        FakeStepFunctions.reset(stepFunctions);
        rows = new RunRows(direct);
        user = RunRows.newUser();
        clock.set("2026-11-20T12:00:00Z");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
        database.restore();
    }

    private HttpResult start(String idempotencyKey) {
        // the sample event carries a key of its own; a null key here means a start that is no retry
        return Lambda.http(HttpApiEvent.post("/v1/runs").user(user).header("authorization", "Bearer " + RAW_JWT)
                .header("idempotency-key", idempotencyKey == null ? UUID.randomUUID().toString() : idempotencyKey)
                .body("{\"threadId\": \"outage\"}"));
    }

    private HttpResult get(String runId) {
        return Lambda.http(HttpApiEvent.get("/v1/runs/" + runId).user(user)
                .matchedRoute("GET /v1/runs/{runId}", Map.of("runId", runId)));
    }

    private HttpResult stop(String runId) {
        return Lambda.http(HttpApiEvent.post("/v1/runs/" + runId + "/stop").user(user)
                .matchedRoute("POST /v1/runs/{runId}/stop", Map.of("runId", runId)));
    }

    private long runsOf(String userId) {
        return rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ?", userId);
    }

    private static void assertUnavailable(HttpResult result) {
        Problems.assertProblem(result, 503, "service_unavailable");
    }

    @Test
    @Order(1)
    void startedWhileTheDatabaseWasUnreachableAndServesOnceItIsBack() {
        // the proxy has refused every connection since before the application started
        assertUnavailable(start(null));
        assertUnavailable(get("00000000-0000-4000-8000-000000000000"));
        assertEquals(0, runsOf(user));
        assertEquals(0, stepFunctions.findAll(FakeStepFunctions.requestsFor("StartExecution")).size());

        database.restore();

        HttpResult started = start(null);
        assertEquals(202, started.status(), () -> started.body().toString());
        assertEquals(200, get(started.body().get("runId").asText()).status());
        assertEquals(1, runsOf(user));
    }

    @Test
    @Order(2)
    void anOutageOfAServingFunctionIs503UntilTheDatabaseReturns() {
        assertEquals(202, start(null).status());

        database.cut();
        assertUnavailable(start(null));
        database.restore();

        assertEquals(202, start(null).status());
        assertEquals(2, runsOf(user));
    }

    @Test
    void aStartThatLosesTheDatabaseBeforeItsRunIsRecordedWritesNothingAndStartsNothing() {
        database.dropConnectionSending("INSERT INTO agent_runs");

        assertUnavailable(start("retry-me"));

        assertEquals(1, database.trips());
        assertEquals(0, runsOf(user));
        assertEquals(0, stepFunctions.findAll(FakeStepFunctions.requestsFor("StartExecution")).size());
        HttpResult retried = start("retry-me");
        assertEquals(202, retried.status(), () -> retried.body().toString());
        assertEquals(1, runsOf(user));
    }

    @Test
    void aStartWhoseExecutionStartedIsAcceptedEvenIfItsArnCannotBeRecorded() {
        database.dropConnectionSending("UPDATE agent_runs SET execution_arn");

        HttpResult result = start(null);

        assertEquals(1, database.trips());
        assertEquals(202, result.status(), () -> result.body().toString());
        String runId = result.body().get("runId").asText();
        assertEquals(FakeStepFunctions.EXECUTION_ARN_PREFIX + runId, result.body().get("executionArn").asText());
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ?::uuid AND status = 'running' "
                + "AND execution_arn IS NULL", runId));
        // the ARN follows from the run id, so stopping the run still stops its execution
        HttpResult stopped = stop(runId);
        assertEquals(200, stopped.status(), () -> stopped.body().toString());
        assertEquals(FakeStepFunctions.EXECUTION_ARN_PREFIX + runId, FakeStepFunctions
                .bodiesOf(stepFunctions, "StopExecution").get(0).get("executionArn").asText());
    }

    @Test
    void aStopThatLosesTheDatabaseLeavesTheRunRunningAndARetryStopsIt() {
        String runId = start(null).body().get("runId").asText();
        database.dropConnectionSending("UPDATE agent_runs SET status");

        assertUnavailable(stop(runId));

        assertEquals(1, database.trips());
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ?::uuid AND status = 'running'",
                runId));
        HttpResult retried = stop(runId);
        assertEquals(200, retried.status(), () -> retried.body().toString());
        assertEquals("stopped", retried.body().get("status").asText());
    }

    @Test
    void aReadThatLosesTheDatabaseIs503AndTheNextReadAnswers() {
        String runId = start(null).body().get("runId").asText();
        database.dropConnectionSending("FROM agent_runs WHERE id");

        assertUnavailable(get(runId));

        assertEquals(1, database.trips());
        assertEquals(200, get(runId).status());
    }

    @AfterAll
    static void noSecretReachedTheLogs() {
        try {
            List<String> lines = logs.lines();
            assertTrue(lines.stream().anyMatch(line -> line.contains("Database unavailable")),
                    "the outages were not logged at all");
            for (String secret : List.of(DatabaseBehindProxy.PASSWORD, "password=", RAW_JWT, "cognito-idp",
                    "Bearer ")) {
                List<String> leaks = lines.stream().filter(line -> line.contains(secret)).toList();
                assertTrue(leaks.isEmpty(), () -> secret + " is in the logs: " + leaks);
            }
        } finally {
            logs.close();
        }
    }
}
