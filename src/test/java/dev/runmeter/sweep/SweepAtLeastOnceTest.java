package dev.runmeter.sweep;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static dev.runmeter.support.FakeStepFunctions.awsError;
import static dev.runmeter.support.FakeStepFunctions.json;
import static dev.runmeter.support.FakeStepFunctions.operation;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;

import dev.runmeter.support.DatabaseSnapshot;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * EventBridge delivers a scheduled event at least once, sometimes twice at the same moment, and Step Functions
 * sometimes cannot answer: every overdue run is settled exactly once, and a run Step Functions could not describe
 * waits, unchanged, for the next sweep. The clock stands in 2001 so that only this test's runs are overdue.
 */
@QuarkusTest
@TestProfile(SweepFunctionTest.Sweep.class)
@QuarkusTestResource(FakeStepFunctions.class)
class SweepAtLeastOnceTest {

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;
    @Inject
    SweepHandler handler;

    RunRows rows;
    String user;
    byte[] scheduledEvent;

    @BeforeEach
    void setUp() throws Exception {
        FakeStepFunctions.reset(stepFunctions);
        rows = new RunRows(dataSource);
        user = RunRows.newUser();
        clock.set("2001-03-01T12:00:00Z");
        scheduledEvent = Files.readAllBytes(Path.of("events", "eventbridge-scheduled.json"));
    }

    @AfterEach
    void cleanUp() {
        rows.execute("DELETE FROM agent_runs WHERE started_at < '2002-01-01T00:00:00Z'");
        clock.reset();
    }

    private List<UUID> overdueRuns(int count) {
        List<UUID> runs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            runs.add(rows.running(user, "2001-03-01T09:" + String.format("%02d", 10 + i) + ":00Z"));
        }
        return runs;
    }

    private JsonNode deliver() {
        try {
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            handler.handleRequest(new ByteArrayInputStream(scheduledEvent), output, null);
            return HttpApiEvent.JSON.readTree(output.toByteArray());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private long settled() {
        return rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ? AND status = 'failed' "
                + "AND failure_reason = 'stuck'", user);
    }

    @Test
    void theSameScheduledEventDeliveredTwiceAtOnceAndOnceMoreLaterSettlesEachRunOnce() throws Exception {
        overdueRuns(20); // three batches of seven
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<JsonNode>> deliveries = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            deliveries.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return deliver();
            }));
        }
        go.countDown();
        long fixed = 0;
        for (CompletableFuture<JsonNode> delivery : deliveries) {
            fixed += delivery.get(60, TimeUnit.SECONDS).get("fixed").asLong();
        }
        String afterBoth = DatabaseSnapshot.of(dataSource);

        JsonNode late = HttpApiEvent.JSON.readTree(Lambda.invoke(new String(scheduledEvent)).asString());

        assertEquals(20, fixed);
        assertEquals(20, settled());
        assertEquals(0, late.get("found").asLong());
        assertEquals(0, late.get("fixed").asLong());
        assertEquals(afterBoth, DatabaseSnapshot.of(dataSource));
    }

    static Stream<Arguments> stepFunctionsFailures() {
        return Stream.of(
                Arguments.of("throttled", awsError(400, "ThrottlingException", "Rate exceeded")),
                Arguments.of("internal error", awsError(500, "InternalServerError", "boom")),
                Arguments.of("access denied", awsError(400, "AccessDeniedException", "not authorized")),
                Arguments.of("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)),
                Arguments.of("no answer in time", json(200, "{}").withFixedDelay(1500)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stepFunctionsFailures")
    void aRunStepFunctionsCannotDescribeIsDeferredUnchangedAndSettledByTheNextSweep(String name,
            ResponseDefinitionBuilder failure) {
        overdueRuns(2);
        stepFunctions.stubFor(operation("DescribeExecution").willReturn(failure));
        String before = DatabaseSnapshot.of(dataSource);

        JsonNode report = deliver();

        assertEquals(2, report.get("deferred").asLong(), report::toString);
        assertEquals(0, report.get("fixed").asLong());
        assertEquals(before, DatabaseSnapshot.of(dataSource));
        FakeStepFunctions.reset(stepFunctions);
        assertEquals(2, deliver().get("fixed").asLong());
        assertEquals(2, settled());
    }

    @Test
    void anExecutionThatCannotBeStoppedDefersItsRun() {
        UUID run = overdueRuns(1).get(0);
        stepFunctions.stubFor(operation("DescribeExecution").willReturn(json(200, "{\"executionArn\": \""
                + FakeStepFunctions.EXECUTION_ARN_PREFIX + run + "\", \"status\": \"RUNNING\", "
                + "\"startDate\": 983432400.0}")));
        stepFunctions.stubFor(operation("StopExecution").willReturn(awsError(500, "InternalServerError", "boom")));
        String before = DatabaseSnapshot.of(dataSource);

        JsonNode report = deliver();

        assertEquals(1, report.get("deferred").asLong(), report::toString);
        assertEquals(before, DatabaseSnapshot.of(dataSource));
    }
}
