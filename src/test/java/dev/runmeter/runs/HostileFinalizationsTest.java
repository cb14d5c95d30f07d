package dev.runmeter.runs;

import static dev.runmeter.support.HostileEvent.RUN_NOT_FOUND;
import static dev.runmeter.support.HostileEvent.invalid;
import static dev.runmeter.support.HostileEvent.lambdaError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.support.DatabaseSnapshot;
import dev.runmeter.support.HostileEvent;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The {@code run-finalizer} function against malformed and hostile invocations: each is a typed Lambda error that
 * the state machine does not retry, and the database, including the running run the case aims at, is unchanged.
 */
@QuarkusTest
@TestProfile(RunFinalizerFunctionTest.Finalizer.class)
class HostileFinalizationsTest {

    /** The running run every case aims at; recreated with this id before every case. */
    private static final UUID RUN = UUID.randomUUID();
    private static final String USER = "hostile-finalizer-" + UUID.randomUUID();
    private static int casesRun;

    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    RunRows rows;

    @BeforeEach
    void setUp() {
        rows = new RunRows(dataSource);
        rows.execute("DELETE FROM agent_runs WHERE id = ?", RUN);
        rows.execute("INSERT INTO agent_runs (id, user_id, status, started_at) "
                + "VALUES (?, ?, 'running', '2026-11-20T11:00:00Z'::timestamptz)", RUN, USER);
        clock.set("2026-11-20T11:20:00Z");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    /** A finalization of the run with the given fields after runId (JSON members, comma-led). */
    private static String finalization(String members) {
        return "{\"runId\": \"" + RUN + "\"" + members + "}";
    }

    private static String completedAt(String timestamp) {
        return finalization(", \"outcome\": \"succeeded\", \"completedAt\": \"" + timestamp + "\"");
    }

    static List<HostileEvent> cases() {
        List<HostileEvent> cases = new ArrayList<>();
        String valid = finalization(", \"outcome\": \"succeeded\"");
        cases.add(invalid("empty input", ""));
        cases.add(invalid("not JSON", "succeeded"));
        cases.add(invalid("JSON null", "null"));
        cases.add(invalid("a JSON array of a finalization", "[" + valid + "]"));
        cases.add(invalid("a JSON string", "\"" + RUN + "\""));
        cases.add(invalid("a number", "1"));
        cases.add(invalid("truncated", valid.substring(0, valid.length() - 3)));
        cases.add(invalid("two finalizations in one", valid + valid));
        cases.add(invalid("duplicate outcome", finalization(", \"outcome\": \"failed\", \"outcome\": \"succeeded\"")));
        cases.add(invalid("nested 10000 deep", finalization(", \"outcome\": \"succeeded\", \"cause\": "
                + HostileEvent.deeplyNested(10_000))));
        cases.add(invalid("empty object", "{}"));
        cases.add(invalid("no runId", "{\"outcome\": \"succeeded\"}"));
        cases.add(invalid("no outcome", finalization("")));
        cases.add(invalid("runId a number", "{\"runId\": 42, \"outcome\": \"succeeded\"}"));
        cases.add(invalid("runId an array", "{\"runId\": [\"" + RUN + "\"], \"outcome\": \"succeeded\"}"));
        cases.add(invalid("runId null", "{\"runId\": null, \"outcome\": \"succeeded\"}"));
        cases.add(invalid("outcome a boolean", finalization(", \"outcome\": true")));
        cases.add(invalid("error a number", finalization(", \"outcome\": \"failed\", \"error\": 500")));
        cases.add(invalid("cause an object", finalization(", \"outcome\": \"failed\", \"cause\": {\"a\": 1}")));
        cases.add(invalid("completedAt a number", finalization(", \"outcome\": \"succeeded\", \"completedAt\": "
                + "1796310000")));
        for (String runId : List.of("", "not-a-uuid", "1-1-1-1-1", RUN.toString().replace("-", ""), RUN + " ",
                RUN + "\u0000", "../../" + RUN, "..%2F..%2Fetc%2Fpasswd", "\uff10" + RUN.toString().substring(1))) {
            cases.add(invalid("runId " + HostileEvent.printable(runId), "{\"runId\": \"" + runId.replace("\u0000",
                    "\\u0000") + "\", \"outcome\": \"succeeded\"}"));
        }
        for (String injection : HostileEvent.SQL_INJECTIONS) {
            String quoted = injection.replace("\"", "\\\"");
            cases.add(invalid("SQL injection as runId: " + injection, "{\"runId\": \"" + quoted
                    + "\", \"outcome\": \"succeeded\"}"));
            cases.add(invalid("SQL injection as outcome: " + injection, finalization(", \"outcome\": \"" + quoted
                    + "\"")));
            cases.add(invalid("SQL injection as completedAt: " + injection, completedAt(quoted)));
            cases.add(invalid("SQL injection as a field name: " + injection, finalization(", \"outcome\": "
                    + "\"succeeded\", \"" + quoted + "\": 1")));
        }
        for (String outcome : List.of("SUCCEEDED", "Succeeded", "success", "completed", "stopped", "", " failed",
                "failed\u0000")) {
            cases.add(invalid("outcome " + HostileEvent.printable(outcome), finalization(", \"outcome\": \""
                    + outcome.replace("\u0000", "\\u0000") + "\"")));
        }
        for (String timestamp : List.of("2026-11-20T11:30:00", "2026-11-20 11:30:00Z", "2026-11-20",
                "11:30:00Z", "1796310000", "now", "", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                "2026-11-20T25:00:00Z", "2026-11-20T11:30:00+25:00", "2026-11-20T11:30:00Z[Europe/Paris]x",
                "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "+10000-01-01T00:00:00Z",
                "2026-11-20T10:59:59.999Z", "1970-01-01T00:00:00Z", "2026-11-20T11:30:00Z\u0000")) {
            cases.add(invalid("completedAt " + HostileEvent.printable(timestamp),
                    completedAt(timestamp.replace("\u0000", "\\u0000"))));
        }
        for (String field : List.of("userId", "status", "billedMs", "failureReason", "startedAt", "RunId")) {
            cases.add(invalid("extra field " + field, finalization(", \"outcome\": \"succeeded\", \"" + field
                    + "\": \"x\"")));
        }
        cases.add(invalid("an HTTP API event", HttpApiEvent.post("/v1/runs/" + RUN + "/stop").json()));
        cases.add(invalid("an EventBridge scheduled event",
                HostileEvent.write(HostileEvent.sample("eventbridge-scheduled.json"))));
        cases.add(invalid("a sweep request", "{\"mode\": \"fix\", \"dryRun\": false}"));
        cases.add(invalid("the whole Step Functions context object", "{\"Execution\": {\"Id\": \"arn\", "
                + "\"Input\": {\"runId\": \"" + RUN + "\"}}, \"State\": {\"Name\": \"Finalize\"}}"));
        cases.add(invalid("an SQS batch", "{\"Records\": [{\"body\": \"" + valid.replace("\"", "\\\"") + "\"}]}"));
        cases.add(lambdaError("a run that does not exist", "{\"runId\": \"" + UUID.randomUUID()
                + "\", \"outcome\": \"succeeded\"}", RUN_NOT_FOUND));
        cases.add(lambdaError("the nil UUID", "{\"runId\": \"00000000-0000-0000-0000-000000000000\", "
                + "\"outcome\": \"failed\", \"error\": \"States.Timeout\"}", RUN_NOT_FOUND));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isATypedErrorAndChangesNothing(HostileEvent event) {
        DatabaseSnapshot.assertUnchangedBy(dataSource, event.name(), event::assertRefused);
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ? AND status = 'running' "
                + "AND completed_at IS NULL", RUN));
        casesRun++;
    }

    @Test
    void aCrashReportWithNulBytesAndNoEndIsRecordedNotRetriedForever() throws Exception {
        String cause = "segfault\\u0000 in tool \\ud83d\\ude00" + "x".repeat(5000);

        io.restassured.response.ExtractableResponse<?> response = dev.runmeter.support.Lambda.invoke(
                finalization(", \"outcome\": \"failed\", \"error\": \"Agent\\u0000Crashed\", \"cause\": \""
                        + cause + "\""));

        assertEquals(200, response.statusCode(), response.asString());
        JsonNode run = HttpApiEvent.JSON.readTree(response.asString());
        assertEquals("error", run.get("failureReason").asText());
        assertTrue(run.get("error").asText().startsWith("Agent\uFFFDCrashed: segfault\uFFFD in tool \ud83d\ude00"),
                run.get("error").asText());
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE id = ? AND status = 'failed' "
                + "AND length(error) <= 4000", RUN));
    }

    @AfterAll
    static void atLeastFiftyCases() {
        assertTrue(casesRun == 0 || casesRun >= 50, "only " + casesRun + " hostile cases ran");
    }
}
