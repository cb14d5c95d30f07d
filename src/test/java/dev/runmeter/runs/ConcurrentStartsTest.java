package dev.runmeter.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;

import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.RunRows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Starts arriving at the same moment, as they do when a client retries or a user double-clicks: the Lambda mock
 * event server handles one event at a time, so these call the service from many threads, each on its own database
 * connection, the way concurrent Lambda instances would.
 */
@QuarkusTest
@QuarkusTestResource(FakeStepFunctions.class)
class ConcurrentStartsTest {

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @Inject
    DataSource dataSource;
    @Inject
    RunService runs;

    RunRows rows;
    String user;

    @BeforeEach
    void setUp() {
        FakeStepFunctions.reset(stepFunctions);
        rows = new RunRows(dataSource);
        user = RunRows.newUser();
    }

    /** Runs the call from that many threads released at once; returns how each ended, by outcome. */
    private Map<String, Integer> race(int threads, Callable<String> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            futures.add(pool.submit(() -> {
                go.await();
                try {
                    return call.call();
                } catch (RunRefusedException e) {
                    return e.reason().name();
                }
            }));
        }
        go.countDown();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        for (Future<String> future : futures) {
            outcomes.merge(future.get(60, TimeUnit.SECONDS), 1, Integer::sum);
        }
        pool.shutdown();
        return outcomes;
    }

    /**
     * Distinct executions asked for. The SDK may retry a StartExecution whose attempt timed out on this busy
     * machine; Step Functions treats a repeat with the same name and input as the same execution.
     */
    private long executionsStarted() {
        return FakeStepFunctions.bodiesOf(stepFunctions, "StartExecution").stream()
                .map(body -> body.get("name").asText()).distinct().count();
    }

    @Test
    void fiftyStartsAtTheConcurrencyLimitStartExactlyTheAllowedNumber() throws Exception {
        rows.execute("INSERT INTO plans (name, monthly_minutes, max_concurrent_runs) VALUES ('three_at_a_time', "
                + "600, 3) ON CONFLICT (name) DO NOTHING");
        rows.account(user, "three_at_a_time");
        rows.running(user, java.time.Instant.now().minusSeconds(60).toString());

        Map<String, Integer> outcomes = race(50, () -> runs.start(user, null, null, null).replay() ? "REPLAY"
                : "STARTED");

        assertEquals(Map.of("STARTED", 2, "TOO_MANY_ACTIVE_RUNS", 48), outcomes);
        assertEquals(3, rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ? AND status = 'running'", user));
        assertEquals(2, executionsStarted());
    }

    @Test
    void fiftyStartsOverThePlansMinutesStartNothing() throws Exception {
        java.time.Instant now = java.time.Instant.now();
        rows.completed(user, now.minusSeconds(3_600).toString(), now.toString());

        Map<String, Integer> outcomes = race(50, () -> runs.start(user, null, null, null).replay() ? "REPLAY"
                : "STARTED");

        assertEquals(Map.of("USAGE_LIMIT_EXCEEDED", 50), outcomes);
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ?", user));
        assertEquals(0, executionsStarted());
    }

    @Test
    void twentyRetriesWithOneIdempotencyKeyMakeOneRunAndOneExecution() throws Exception {
        Map<String, Integer> outcomes = race(20, () -> runs.start(user, "thread-1", null, "retry-me").replay()
                ? "REPLAY" : "STARTED");

        assertEquals(Map.of("STARTED", 1, "REPLAY", 19), outcomes);
        assertEquals(1, rows.count("SELECT count(*) FROM agent_runs WHERE user_id = ?", user));
        assertEquals(1, executionsStarted());
    }
}
