package dev.runmeter.runs;

import static dev.runmeter.support.HostileEvent.http;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.github.tomakehurst.wiremock.WireMockServer;

import dev.runmeter.support.DatabaseSnapshot;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HostileEvent;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.HttpApiHostility;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The {@code runs} function against malformed and hostile events: each is refused with a 4xx problem document (or
 * a typed Lambda error when it is not an HTTP API event at all), no execution is started or stopped, and the
 * database is left exactly as it was.
 */
@QuarkusTest
@TestProfile(RunsProfile.class)
@QuarkusTestResource(FakeStepFunctions.class)
class HostileRunsEventsTest {

    private static final String USER = "hostile-runs-" + UUID.randomUUID();
    private static final String OTHER_USER = "hostile-runs-other-" + UUID.randomUUID();
    /** Runs the cases aim at; recreated with these ids before every case. */
    private static final UUID RUNNING = UUID.randomUUID();
    private static final UUID FINISHED = UUID.randomUUID();
    private static final UUID OTHERS_RUNNING = UUID.randomUUID();
    private static int casesRun;

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    RunRows rows;

    @BeforeEach
    void setUp() {
        FakeStepFunctions.reset(stepFunctions);
        rows = new RunRows(dataSource);
        clock.set("2026-11-20T12:00:00Z");
        rows.execute("DELETE FROM agent_runs WHERE id IN (?, ?, ?)", RUNNING, FINISHED, OTHERS_RUNNING);
        insert(RUNNING, USER, "running", null);
        insert(FINISHED, USER, "completed", "2026-11-20T11:40:00Z");
        insert(OTHERS_RUNNING, OTHER_USER, "running", null);
    }

    private void insert(UUID id, String user, String status, String completedAt) {
        rows.execute("INSERT INTO agent_runs (id, user_id, status, started_at, completed_at, execution_arn) "
                + "VALUES (?, ?, ?, '2026-11-20T11:30:00Z'::timestamptz, ?::timestamptz, ?)", id, user, status,
                completedAt, FakeStepFunctions.EXECUTION_ARN_PREFIX + id);
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    static HttpApiEvent start() {
        return HttpApiEvent.post("/v1/runs").user(USER);
    }

    static HttpApiEvent start(String body) {
        return start().body(body);
    }

    static HttpApiEvent get(String runId) {
        return HttpApiEvent.get("/v1/runs/" + runId).user(USER)
                .matchedRoute("GET /v1/runs/{runId}", Map.of("runId", runId));
    }

    static HttpApiEvent stop(String runId) {
        return HttpApiEvent.post("/v1/runs/" + runId + "/stop").user(USER)
                .matchedRoute("POST /v1/runs/{runId}/stop", Map.of("runId", runId));
    }

    static List<HostileEvent> cases() {
        List<HostileEvent> cases = new ArrayList<>(HttpApiHostility.cases(() -> start("{\"threadId\": \"t-1\"}")));
        for (String body : List.of("not json", "[]", "\"text\"", "null", "42", "true", "{", "{} {}",
                "{\"threadId\": \"a\", \"threadId\": \"b\"}", "{\"threadId\": 42}", "{\"threadId\": true}",
                "{\"threadId\": [\"t\"]}", "{\"threadId\": {\"id\": \"t\"}}", "{\"threadId\": \"\"}",
                "{\"threadId\": \"" + "t".repeat(257) + "\"}", "{\"threadId\": \"t\\u0000\"}",
                "{\"threadId\": \"t\\nINFO forged\"}", "{\"threadId\": \"t\\ud800\"}", "{\"userId\": \"victim\"}",
                "{\"status\": \"completed\"}", "{\"runId\": \"" + RUNNING + "\"}", "{\"__proto__\": {}}",
                "{\"input\": " + HostileEvent.deeplyNested(1000) + "}", "{\"input\": " + "1".repeat(5000) + "}",
                "{\"input\": \"" + "x".repeat(256 * 1024 - 100) + "\"}")) {
            cases.add(http("start body " + abbreviated(body), start(body), body.contains("x".repeat(1000)) ? 413 : 400,
                    body.contains("x".repeat(1000)) ? "payload_too_large" : "invalid_request"));
        }
        for (String injection : HostileEvent.SQL_INJECTIONS) {
            cases.add(http("SQL injection as the runId to read: " + injection, get(injection), 400,
                    "invalid_request"));
            cases.add(http("SQL injection as the runId to stop: " + injection, stop(injection), 400,
                    "invalid_request"));
            cases.add(http("SQL injection as an unknown field: " + injection,
                    start("{\"" + injection.replace("\"", "\\\"") + "\": 1}"), 400, "invalid_request"));
        }
        for (String traversal : HostileEvent.PATH_TRAVERSALS) {
            // with a slash it no longer fits the route; without, it is not a UUID
            int status = traversal.contains("/") ? 404 : 400;
            String code = traversal.contains("/") ? "not_found" : "invalid_request";
            cases.add(http("path traversal as the runId to read: " + traversal, get(traversal), status, code));
            cases.add(http("path traversal as the runId to stop: " + traversal, stop(traversal), status, code));
        }
        for (String runId : List.of("not-a-uuid", "1-1-1-1-1", RUNNING + "\u0000", " " + RUNNING,
                RUNNING.toString().replace("-", ""), "{runId}", RUNNING + "'--", "\uff10" + RUNNING.toString()
                        .substring(1))) {
            cases.add(http("malformed runId to stop " + abbreviated(runId), stop(runId), 400, "invalid_request"));
        }
        for (String key : List.of("k".repeat(129), "key\u0000", "key\nforged", "")) {
            cases.add(http("Idempotency-Key " + abbreviated(key), start().header("idempotency-key", key), 400,
                    "invalid_request"));
        }
        cases.add(http("Idempotency-Key with half a surrogate pair", start().header("idempotency-key",
                "key-HALF-PAIR").json().replace("key-HALF-PAIR", "key\\ud800"), 400, "invalid_request"));
        cases.add(http("reading a run that does not exist", get(UUID.randomUUID().toString()), 404, "not_found"));
        cases.add(http("reading another user's run", get(OTHERS_RUNNING.toString()), 404, "not_found"));
        cases.add(http("stopping a run that does not exist", stop(UUID.randomUUID().toString()), 404,
                "not_found"));
        cases.add(http("stopping another user's run", stop(OTHERS_RUNNING.toString()), 404, "not_found"));
        cases.add(http("stopping a finished run", stop(FINISHED.toString()), 409, "run_not_running"));
        cases.add(http("finalizing through the API", HttpApiEvent.post("/v1/runs/" + RUNNING + "/finalize")
                .user(USER).body("{\"outcome\": \"succeeded\"}"), 404, "not_found"));
        cases.add(http("deleting a run", HttpApiEvent.get("/v1/runs/" + RUNNING).user(USER)
                .route("DELETE", "/v1/runs/" + RUNNING), 404, "not_found"));
        cases.add(http("listing every run", HttpApiEvent.get("/v1/runs").user(USER), 404, "not_found"));
        cases.add(http("PUT a run", start().route("PUT", "/v1/runs"), 404, "not_found"));
        cases.add(http("stop with an extra segment", HttpApiEvent.post("/v1/runs/" + RUNNING + "/stop/now")
                .user(USER).routeKey("$default"), 404, "not_found"));
        cases.add(http("stop with an empty runId", HttpApiEvent.post("/v1/runs//stop").user(USER)
                .routeKey("$default"), 404, "not_found"));
        cases.add(http("a usage route sent to the runs function", HttpApiEvent.get("/v1/usage").user(USER), 404,
                "not_found"));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedAndChangesNothing(HostileEvent event) {
        DatabaseSnapshot.assertUnchangedBy(dataSource, event.name(), event::assertRefused);
        assertEquals(0, stepFunctions.getAllServeEvents().size(), () -> event.name() + " reached Step Functions");
        casesRun++;
    }

    @Test
    void sqlInjectionInTheFieldsThatTakeAnyTextIsStoredVerbatim() {
        for (String injection : HostileEvent.SQL_INJECTIONS) {
            long runsBefore = rows.count("SELECT count(*) FROM agent_runs");
            long plansBefore = rows.count("SELECT count(*) FROM plans");
            long accountsBefore = rows.count("SELECT count(*) FROM accounts");
            String user = "' OR user_id <> '" + UUID.randomUUID();

            Lambda.HttpResult result = Lambda.http(HttpApiEvent.post("/v1/runs").user(user)
                    .header("Idempotency-Key", injection)
                    .body("{\"threadId\": \"" + injection.replace("\"", "\\\"") + "\"}"));

            assertEquals(202, result.status(), () -> result.body().toString());
            assertEquals(runsBefore + 1, rows.count("SELECT count(*) FROM agent_runs"));
            assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ? AND thread_id = ? "
                    + "AND idempotency_key = ?", user, injection, injection));
            assertEquals(plansBefore, rows.count("SELECT count(*) FROM plans"));
            assertEquals(accountsBefore, rows.count("SELECT count(*) FROM accounts"));
        }
    }

    @AfterAll
    static void atLeastFiftyCases() {
        assertTrue(casesRun == 0 || casesRun >= 50, "only " + casesRun + " hostile cases ran");
    }

    private static String abbreviated(String value) {
        return HostileEvent.printable(value);
    }
}
