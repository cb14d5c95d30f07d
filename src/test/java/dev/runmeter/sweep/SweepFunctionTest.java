package dev.runmeter.sweep;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static dev.runmeter.support.FakeStepFunctions.awsError;
import static dev.runmeter.support.FakeStepFunctions.json;
import static dev.runmeter.support.FakeStepFunctions.operation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;

import dev.runmeter.runs.Finalization;
import dev.runmeter.runs.RunDocument;
import dev.runmeter.runs.RunFinalizer;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import dev.runmeter.usage.BillingMonth;
import dev.runmeter.usage.UsageService;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * The {@code sweep} function. The clock stands in 2001 so that only this test's runs are overdue: the database is
 * shared with the other tests, whose runs all start later.
 */
@QuarkusTest
@TestProfile(SweepFunctionTest.Sweep.class)
@QuarkusTestResource(FakeStepFunctions.class)
class SweepFunctionTest {

    public static class Sweep implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.lambda.handler", "sweep", "runmeter.sweep.batch-size", "7");
        }
    }

    private static final Instant NOW = Instant.parse("2001-03-01T12:00:00Z");
    private static final String OVERDUE_START = "2001-03-01T09:40:00Z"; // 2 h 20 min ago: past box + grace
    private static final long MINUTE = 60_000;

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;
    @Inject
    Sweeper sweeper;
    @Inject
    RunFinalizer finalizer;
    @Inject
    UsageService usage;

    RunRows rows;
    String user;

    @BeforeEach
    void setUp() {
        FakeStepFunctions.reset(stepFunctions);
        rows = new RunRows(dataSource);
        user = RunRows.newUser();
        clock.set(NOW);
    }

    @AfterEach
    void cleanUp() {
        // leave nothing overdue for the next test
        rows.execute("DELETE FROM agent_runs WHERE started_at < '2002-01-01T00:00:00Z'");
        clock.reset();
    }

    private UUID overdueRun() {
        return rows.running(user, OVERDUE_START);
    }

    private void execution(UUID run, String status, String extra) {
        stepFunctions.stubFor(operation("DescribeExecution")
                .withRequestBody(matchingJsonPath("$.executionArn", equalTo(FakeStepFunctions.EXECUTION_ARN_PREFIX + run)))
                .willReturn(json(200, "{\"executionArn\": \"" + FakeStepFunctions.EXECUTION_ARN_PREFIX + run
                        + "\", \"stateMachineArn\": \"" + FakeStepFunctions.STATE_MACHINE_ARN + "\", \"status\": \""
                        + status + "\", \"startDate\": 983432400.0" + extra + "}")));
    }

    private static final String STOPPED_AT_10_05 = ", \"stopDate\": 983441100.0"; // 2001-03-01T10:05:00Z

    private JsonNode invoke(String event) {
        return Lambda.direct(event);
    }

    private String statusOf(UUID id) {
        return text("SELECT status || coalesce('/' || failure_reason, '') FROM agent_runs WHERE id = ?", id);
    }

    private String text(String sql, Object parameter) {
        try (var connection = dataSource.getConnection(); var statement = connection.prepareStatement(sql)) {
            statement.setObject(1, parameter);
            try (var row = statement.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aScheduledEventSettlesOverdueRunsByTheirExecutionsRealEnd() throws Exception {
        UUID succeeded = overdueRun();
        UUID failed = overdueRun();
        UUID timedOut = overdueRun();
        UUID aborted = overdueRun();
        UUID stillRunning = overdueRun();
        UUID missing = overdueRun();
        execution(succeeded, "SUCCEEDED", STOPPED_AT_10_05);
        execution(failed, "FAILED", STOPPED_AT_10_05 + ", \"error\": \"AgentCrashed\", \"cause\": \"oom\"");
        execution(timedOut, "TIMED_OUT", STOPPED_AT_10_05);
        execution(aborted, "ABORTED", STOPPED_AT_10_05);
        execution(stillRunning, "RUNNING", "");

        JsonNode report = invoke(Files.readString(Path.of("events", "eventbridge-scheduled.json")));

        assertEquals("all", report.get("mode").asText());
        assertEquals(6, report.get("found").asLong());
        assertEquals(6, report.get("fixed").asLong());
        assertEquals(0, report.get("deferred").asLong());
        assertEquals("completed", statusOf(succeeded));
        assertEquals("failed/error", statusOf(failed));
        assertEquals("failed/timeout", statusOf(timedOut));
        assertEquals("stopped", statusOf(aborted));
        assertEquals("failed/stuck", statusOf(stillRunning));
        assertEquals("failed/stuck", statusOf(missing));
        assertEquals("2001-03-01 10:05:00+00", text("SELECT completed_at AT TIME ZONE 'UTC' || '+00' FROM agent_runs "
                + "WHERE id = ?", succeeded));
        assertEquals("AgentCrashed: oom", text("SELECT error FROM agent_runs WHERE id = ?", failed));
        assertEquals(2, report.get("byOutcome").get("failed_stuck").asLong());
        assertEquals(1, report.get("byOutcome").get("completed").asLong());
        List<JsonNode> stops = FakeStepFunctions.bodiesOf(stepFunctions, "StopExecution");
        assertEquals(1, stops.size());
        assertEquals(FakeStepFunctions.EXECUTION_ARN_PREFIX + stillRunning, stops.get(0).get("executionArn").asText());
        assertTrue(report.get("stats").get("byStatus").has("running"));

        JsonNode again = invoke(Files.readString(Path.of("events", "eventbridge-scheduled.json")));
        assertEquals(0, again.get("found").asLong(), "a second delivery of the same event changes nothing");
    }

    @Test
    void runsInsideTheirTimeBoxOrGraceAreNeverTouched() {
        UUID healthy = rows.running(user, "2001-03-01T10:01:00Z"); // 1 h 59 min
        UUID awaitingFinalizer = rows.running(user, "2001-03-01T09:50:00Z"); // 2 h 10 min: in grace

        JsonNode report = invoke("{\"mode\": \"all\", \"dryRun\": false}");

        assertEquals(0, report.get("found").asLong());
        assertEquals("running", statusOf(healthy));
        assertEquals("running", statusOf(awaitingFinalizer));
        assertEquals(0, FakeStepFunctions.bodiesOf(stepFunctions, "DescribeExecution").size());
        JsonNode byAge = report.get("stats").get("runningByAge");
        assertEquals(1, byAge.get("oneToTwoHours").asLong());
        assertEquals(1, byAge.get("awaitingFinalizer").asLong());
        assertEquals(2, report.get("stats").get("runningOverOneHour").asLong());
        assertEquals(awaitingFinalizer.toString(), report.get("stats").get("oldestRunning").get("runId").asText());
        assertEquals(130, report.get("stats").get("oldestRunning").get("ageMinutes").asLong());
    }

    @Test
    void justAfterMidnightUtcOnlyTheRunPastItsTimeBoxIsStuck() {
        // The original hot-fix's date arithmetic failed every run between 00:00 and 01:00 UTC; instants have no hour.
        clock.set("2001-03-02T00:30:00Z");
        UUID beforeMidnight = rows.running(user, "2001-03-01T23:50:00Z");
        UUID afterMidnight = rows.running(user, "2001-03-02T00:10:00Z");
        UUID withinTheBox = rows.running(user, "2001-03-01T22:40:00Z");
        UUID overdue = rows.running(user, "2001-03-01T22:10:00Z"); // 2 h 20 min: past box + grace

        JsonNode report = invoke("{\"mode\": \"fix\"}");

        assertEquals(1, report.get("found").asLong());
        assertEquals("failed/stuck", statusOf(overdue));
        assertEquals("running", statusOf(beforeMidnight));
        assertEquals("running", statusOf(afterMidnight));
        assertEquals("running", statusOf(withinTheBox));
    }

    @Test
    void throttlingDefersTheRunToTheNextSweep() {
        UUID run = overdueRun();
        stepFunctions.stubFor(operation("DescribeExecution").willReturn(awsError(400, "ThrottlingException",
                "Rate exceeded")));

        JsonNode report = invoke("{\"mode\": \"fix\"}");

        assertEquals(1, report.get("found").asLong());
        assertEquals(0, report.get("fixed").asLong());
        assertEquals(1, report.get("deferred").asLong());
        assertEquals("running", statusOf(run));
        assertTrue(report.get("stats").isNull());

        FakeStepFunctions.reset(stepFunctions);
        execution(run, "SUCCEEDED", STOPPED_AT_10_05);
        assertEquals(1, invoke("{\"mode\": \"fix\"}").get("fixed").asLong());
        assertEquals("completed", statusOf(run));
    }

    @Test
    void aDryRunReportsWhatWouldChangeAndChangesNothing() {
        UUID run = overdueRun();
        execution(run, "RUNNING", "");

        JsonNode report = invoke("{\"mode\": \"all\", \"dryRun\": true}");

        assertTrue(report.get("dryRun").asBoolean());
        assertEquals(1, report.get("fixed").asLong());
        assertEquals(1, report.get("byOutcome").get("failed_stuck").asLong());
        assertEquals("running", statusOf(run));
        assertEquals(0, FakeStepFunctions.bodiesOf(stepFunctions, "StopExecution").size());
    }

    @Test
    void statsModeChangesNothing() {
        UUID run = overdueRun();

        JsonNode report = invoke("{\"mode\": \"stats\"}");

        assertEquals(0, report.get("found").asLong());
        assertEquals(1, report.get("stats").get("runningByAge").get("overdue").asLong());
        assertEquals("running", statusOf(run));
    }

    @Test
    void twoSweepsAtOnceSettleEachRunOnceAndTheirReportsAddUp() throws Exception {
        List<UUID> overdue = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            overdue.add(overdueRun());
        }
        // slow answers keep both sweeps busy at the same time
        stepFunctions.stubFor(operation("DescribeExecution").willReturn(awsError(400, "ExecutionDoesNotExist",
                "Execution Does Not Exist").withFixedDelay(20)));
        Instant stopBy = NOW.plusSeconds(600);
        SweepRequest fix = new SweepRequest(SweepRequest.Mode.FIX, false);

        CompletableFuture<SweepReport> first = CompletableFuture.supplyAsync(() -> sweeper.sweep(fix, stopBy));
        CompletableFuture<SweepReport> second = CompletableFuture.supplyAsync(() -> sweeper.sweep(fix, stopBy));
        SweepReport a = first.get(60, TimeUnit.SECONDS);
        SweepReport b = second.get(60, TimeUnit.SECONDS);

        assertEquals(40, a.fixed() + b.fixed());
        assertEquals(40, a.found() + b.found());
        assertEquals(40, rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ? AND status = 'failed' "
                + "AND failure_reason = 'stuck'", user));
        assertEquals(40, FakeStepFunctions.bodiesOf(stepFunctions, "DescribeExecution").stream()
                .map(body -> body.get("executionArn").asText()).distinct().count());
    }

    @Test
    void aFinalizationRacingASweepChangesNothingWhenTheSweepCommitsFirst() throws Exception {
        UUID run = overdueRun();
        stepFunctions.stubFor(operation("DescribeExecution").willReturn(json(200, "{\"status\": \"SUCCEEDED\", "
                + "\"executionArn\": \"x\", \"stateMachineArn\": \"y\", \"startDate\": 983432400.0"
                + STOPPED_AT_10_05 + "}").withFixedDelay(600)));

        CompletableFuture<SweepReport> sweep = CompletableFuture.supplyAsync(() ->
                sweeper.sweep(new SweepRequest(SweepRequest.Mode.FIX, false), NOW.plusSeconds(600)));
        Thread.sleep(250); // the sweep now holds the run's row while it asks Step Functions
        RunDocument finalized = finalizer.finalize(new Finalization(run, false, "AgentCrashed", "late", null));

        assertEquals(1, sweep.get(30, TimeUnit.SECONDS).fixed());
        assertEquals("completed", finalized.status());
        assertEquals("completed", statusOf(run));
    }

    @Test
    void aFinalizationThatCommitsFirstWinsOverTheSweep() {
        UUID run = overdueRun();
        finalizer.finalize(new Finalization(run, true, null, null, null));

        JsonNode report = invoke("{\"mode\": \"fix\"}");

        assertEquals(0, report.get("found").asLong());
        assertEquals("completed", statusOf(run));
    }

    @Test
    void aStuckRunBillsNothingBeforeAndAfterTheSweepAndAReconciledRunBillsItsRealEnd() {
        UUID stuck = overdueRun();
        UUID reconciled = overdueRun();
        execution(reconciled, "SUCCEEDED", STOPPED_AT_10_05); // 25 minutes after it started
        BillingMonth march = BillingMonth.parse("2001-03", java.time.ZoneOffset.UTC);
        assertEquals(0, usage.usage(user, march).usedMs() + usage.usage(user, march).inFlightMs());

        invoke("{\"mode\": \"fix\"}");

        assertEquals("failed/stuck", statusOf(stuck));
        assertEquals(25 * MINUTE, usage.usage(user, march).usedMs());
        assertEquals(0, usage.usage(user, march).inFlightMs());
    }

    @Test
    void eventsThatAreNotSweepRequestsAreTypedErrors() {
        for (String event : new String[] { "not json", "[]", "{}", "{\"mode\": \"everything\"}",
                "{\"mode\": \"fix\", \"dryRun\": \"yes\"}", "{\"mode\": \"fix\", \"force\": true}",
                "{\"detail-type\": \"EC2 Instance State-change Notification\", \"source\": \"aws.ec2\"}",
                "{\"mode\": 1}" }) {
            assertEquals("dev.runmeter.lambda.InvalidEventException", Lambda.error(event).get("errorType").asText(),
                    event);
        }
    }
}
