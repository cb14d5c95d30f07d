package dev.runmeter.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.PGConnection;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.db.Database;
import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.Orchestrator;
import dev.runmeter.runs.RunStatus;
import dev.runmeter.runs.RunStore;
import dev.runmeter.runs.RunsHandler;
import dev.runmeter.runs.FinalOutcome;
import dev.runmeter.sample.OriginalMethod;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import dev.runmeter.sweep.SweepHandler;
import dev.runmeter.sweep.SweepStore;
import dev.runmeter.usage.BillingMonth;
import dev.runmeter.usage.UsageHandler;
import dev.runmeter.usage.UsageStore;
import dev.runmeter.usage.UsageStore.MonthTotals;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The in-process benchmarks of BENCHMARKS.md (measures 1-3), in one Quarkus application over one data set: the
 * functions' handlers are invoked in process with whole API Gateway / EventBridge documents, against a real
 * PostgreSQL, with Step Functions faked at the HTTP wire. Every figure comes with a baseline measured in the same
 * run, interleaved or right next to it, because the machine is shared and noisy. Step Functions is
 * InstantStepFunctions, so the fake's own cost stays small. The tests fail only where
 * correctness is at stake (wrong totals, overshoot, runs left unsettled); missed speed targets are reported.
 */
@QuarkusTest
@QuarkusTestResource(value = BenchDatabase.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = InstantStepFunctions.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunmeterBenchmark {

    private static final BenchSizes SIZES = BenchSizes.fromSystemProperties();
    private static final Report REPORT = new Report("in-process.md");
    private static final BillingMonth NOVEMBER = BillingMonth.of(YearMonth.of(2026, 11), ZoneOffset.UTC);
    private static final Duration OVERDUE_AFTER = Duration.ofMinutes(135);
    private static final String START_BODY =
            "{\"threadId\": \"thread-bench\", \"input\": {\"prompt\": \"Summarise the quarterly report\"}}";
    private static BenchData data;

    @InstantStepFunctions.DescribeAnswer
    AtomicReference<String> describeAnswer;
    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;
    @Inject
    UsageHandler usageHandler;
    @Inject
    RunsHandler runsHandler;
    @Inject
    SweepHandler sweepHandler;
    @Inject
    Orchestrator orchestrator;
    @Inject
    Database database;
    @Inject
    UsageStore usageStore;
    @Inject
    RunStore runStore;
    @Inject
    RunmeterConfig config;

    @AfterAll
    static void done() {
        REPORT.line("");
        REPORT.line("(end of in-process figures)");
    }

    @Test
    @Order(1)
    void load() throws Exception {
        clock.set(BenchData.NOW);
        REPORT.line("# In-process benchmarks");
        REPORT.line("");
        REPORT.line("Sizes: " + SIZES + ".");
        REPORT.line("Machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (" + cpuModel() + "), "
                + memTotal() + " memory, JDK " + System.getProperty("java.vm.version") + " ("
                + System.getProperty("java.vm.name") + ").");
        REPORT.line("Database: " + sql("SELECT version()") + "; shared_buffers " + sql("SHOW shared_buffers")
                + ", fsync " + sql("SHOW fsync") + ", synchronous_commit as started "
                + sql("SHOW synchronous_commit") + ".");

        data = new BenchData(SIZES);
        long started = System.nanoTime();
        data.load(dataSource);
        double loadSeconds = (System.nanoTime() - started) / 1e9;
        started = System.nanoTime();
        BenchData.vacuumAnalyze(dataSource);
        double vacuumSeconds = (System.nanoTime() - started) / 1e9;
        REPORT.line(String.format(Locale.ROOT, "Loaded %,d runs with COPY in %.1f s, VACUUM ANALYZE %.1f s. "
                + "agent_runs: %s with indexes. Month-crossing runs: %,d. By status: %s.",
                data.rows(), loadSeconds, vacuumSeconds,
                sql("SELECT pg_size_pretty(pg_total_relation_size('agent_runs'))"), data.monthCrossing(),
                new TreeMap<>(data.statusCounts())));
        assertEquals(data.rows(), count("SELECT count(*) FROM agent_runs"));
        assertEquals(0, count("SELECT count(*) FROM agent_runs WHERE status = 'running' AND started_at < ?",
                BenchData.NOW.minus(OVERDUE_AFTER)), "the data set has nothing overdue");
        describeAnswer.set(succeeded(BenchData.NOW));
        assertEquals("SUCCEEDED", orchestrator.describe(new AgentRun(UUID.randomUUID(), "u", null, RunStatus.RUNNING,
                BenchData.NOW, null, null, null, BenchData.EXECUTION_PREFIX + "probe")).orElseThrow().status(),
                "the application talks to InstantStepFunctions");
        describeAnswer.set(null);
    }

    private static String succeeded(Instant stopDate) {
        return "{\"executionArn\": \"" + BenchData.EXECUTION_PREFIX + "x\", \"stateMachineArn\": \""
                + FakeStepFunctions.STATE_MACHINE_ARN + "\", \"status\": \"SUCCEEDED\", \"startDate\": "
                + (stopDate.getEpochSecond() - 3600) + ".0, \"stopDate\": " + stopDate.getEpochSecond() + ".0}";
    }

    // ---- 1. Usage read

    @Test
    @Order(2)
    void usageRead() throws Exception {
        REPORT.section("1. Usage read: the usage handler in process vs the original method");
        REPORT.line("Each read is one `GET /v1/usage?month=2026-11` event through the `usage` handler (JSON in, "
                + "JSON out, one pooled connection); the original method fetches every run the user started in the "
                + "month and adds the durations up in Java (OriginalMethod.java), also on a pooled connection. "
                + "Reads alternate between the two; warm-up reads are not counted.");
        REPORT.line("");
        REPORT.line("Live query = UsageStore's statement with its gate forced to the live branch (the query before "
                + "the usage_days roll-up), alone, checked equal to the handler's answer.");
        REPORT.line("");
        REPORT.line("| user | runs in the month | reads | runmeter p50 / p99 ms | original p50 / p99 ms "
                + "| live query (before) p50 / p99 ms | runmeter faster by (p50 / p99) |");
        REPORT.line("|---|---:|---:|---:|---:|---:|---:|");
        String typical = data.typicalUser();
        compareUsage("typical", typical, data.novemberRuns(typical), SIZES.typicalReads());
        compareUsage("heavy", BenchData.HEAVY_USER, SIZES.heavyRuns(), SIZES.heavyReads());
    }

    @Test
    @Order(3)
    void usageGrowth() throws Exception {
        REPORT.section("1b. How a usage read grows with the runs in one user's month");
        List<String> users = new ArrayList<>();
        List<Integer> runs = new ArrayList<>();
        String typical = data.typicalUser();
        users.add(typical);
        runs.add(data.novemberRuns(typical));
        for (int n : SIZES.growthRuns()) {
            users.add(BenchData.growthUser(n));
            runs.add(n);
        }
        String rolledUpQuery = monthTotalsQuery();
        String liveQuery = liveMonthTotalsQuery();
        REPORT.line("Handler = the `usage` handler in process (the product: UsageStore's month from the usage_days "
                + "roll-up). Roll-up query / live query = UsageStore's statement alone, with the roll-up as in the "
                + "product, and with its gate forced to the live branch (the query before the roll-up, what a "
                + "configured time box other than billing_basis's gets). Each user's three answers are checked "
                + "equal (used and in-flight ms, the four counts).");
        REPORT.line("");
        REPORT.line("| runs in the month | handler p50 / p99 ms | original p50 / p99 ms "
                + "| roll-up query p50 / p99 ms | live query p50 / p99 ms "
                + "| handler vs original (p50) | roll-up vs live query (p50) |");
        REPORT.line("|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < users.size(); i++) {
            String user = users.get(i);
            MonthTotals product = database.read(c -> usageStore.monthTotals(c, user, NOVEMBER, BenchData.NOW));
            assertEquals(List.of(product.usedMs(), product.inFlightMs(), product.runs().running(),
                    product.runs().completed(), product.runs().failed(), product.runs().stopped()),
                    monthTotalsRow(liveQuery, user), "roll-up and live query agree for " + user);
            assertEquals(monthTotalsRow(rolledUpQuery, user), monthTotalsRow(liveQuery, user),
                    "the benchmark binds UsageStore's statement as UsageStore does, for " + user);
            byte[] event = usageEvent(user);
            int reads = Math.max(SIZES.growthReads(), runs.get(i) <= 1_000 ? SIZES.typicalReads() / 4 : 0);
            Samples handler = new Samples("handler", reads);
            Samples original = new Samples("original", reads);
            Samples rolledUp = new Samples("roll-up query", reads);
            Samples live = new Samples("live query", reads);
            LongSupplier[] ops = {
                () -> timed(() -> invoke(usageHandler, event)),
                () -> timed(() -> originalMethod(user)),
                () -> timed(() -> monthTotalsRow(rolledUpQuery, user)),
                () -> timed(() -> monthTotalsRow(liveQuery, user))};
            Samples[] into = {handler, original, rolledUp, live};
            alternate(Math.max(2, reads / 5), reads, ops, into);
            REPORT.line(String.format(Locale.ROOT, "| %,d | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s |",
                    runs.get(i), Samples.ms(handler.p50()), Samples.ms(handler.p99()), Samples.ms(original.p50()),
                    Samples.ms(original.p99()), Samples.ms(rolledUp.p50()), Samples.ms(rolledUp.p99()),
                    Samples.ms(live.p50()), Samples.ms(live.p99()),
                    Samples.ratio(original.p50() / handler.p50()), Samples.ratio(live.p50() / rolledUp.p50())));
        }
        rollUpWriteCost();
        REPORT.line("");
        String biggest = users.get(users.size() - 1);
        REPORT.line("EXPLAIN (ANALYZE, BUFFERS) of the roll-up query for the largest month:");
        REPORT.code(explainMonthTotals(rolledUpQuery, biggest));
        REPORT.line("The same month in a zone that is not UTC (America/New_York: two live edge segments):");
        REPORT.code(explainMonthTotals(rolledUpQuery, biggest, BillingMonth.of(YearMonth.of(2026, 11),
                java.time.ZoneId.of("America/New_York"))));
        REPORT.line("The live query for the same month:");
        REPORT.code(explainMonthTotals(liveQuery, biggest));
    }

    /**
     * What the usage_days trigger costs a write: the same statement with the trigger and without it (a session in
     * replica mode fires no ordinary trigger), alternating. Both variants set the role, so both pay that round trip.
     */
    private void rollUpWriteCost() throws Exception {
        int writes = 500;
        String user = "rollup-writer";
        Samples startWith = new Samples("start with trigger", writes);
        Samples startWithout = new Samples("start without", writes);
        Samples finishWith = new Samples("finish with trigger", writes);
        Samples finishWithout = new Samples("finish without", writes);
        Samples importWith = new Samples("import with trigger", writes);
        Samples importWithout = new Samples("import without", writes);
        List<UUID> withTrigger = new ArrayList<>();
        List<UUID> withoutTrigger = new ArrayList<>();
        for (int i = 0; i < writes; i++) {
            Instant started = BenchData.NOW.minusSeconds(600 + i);
            startWith.add(timed(() -> withTrigger.add(write("origin", user, "running", started, null))));
            startWithout.add(timed(() -> withoutTrigger.add(write("replica", user, "running", started, null))));
        }
        for (int i = 0; i < writes; i++) {
            UUID rolled = withTrigger.get(i);
            UUID plain = withoutTrigger.get(i);
            finishWith.add(timed(() -> database.inTransaction(c -> {
                replicationRole(c, "origin");
                return runStore.finish(c, rolled, FinalOutcome.completed(), BenchData.NOW);
            })));
            finishWithout.add(timed(() -> database.inTransaction(c -> {
                replicationRole(c, "replica");
                return runStore.finish(c, plain, FinalOutcome.completed(), BenchData.NOW);
            })));
            Instant started = BenchData.NOW.minusSeconds(86_400 + 60L * i);
            importWith.add(timed(() -> write("origin", user, "completed", started, started.plusSeconds(2400))));
            importWithout.add(timed(() -> write("replica", user, "completed", started, started.plusSeconds(2400))));
        }
        REPORT.line("");
        REPORT.line(String.format(Locale.ROOT, "Cost of the usage_days trigger, %d writes each, alternating, one "
                + "transaction and synchronous commit per write, p50 / p99 ms with vs without the trigger: start "
                + "(insert of a running row) %s / %s vs %s / %s (%s at p50); finalization (running -> completed) "
                + "%s / %s vs %s / %s (%s); import (insert of a completed 40-minute row) %s / %s vs %s / %s (%s). "
                + "Concurrent finalizations of one user on one UTC day queue on that day's roll-up row; not measured.",
                writes, Samples.ms(startWith.p50()), Samples.ms(startWith.p99()), Samples.ms(startWithout.p50()),
                Samples.ms(startWithout.p99()), Samples.ratio(startWith.p50() / startWithout.p50()),
                Samples.ms(finishWith.p50()), Samples.ms(finishWith.p99()), Samples.ms(finishWithout.p50()),
                Samples.ms(finishWithout.p99()), Samples.ratio(finishWith.p50() / finishWithout.p50()),
                Samples.ms(importWith.p50()), Samples.ms(importWith.p99()), Samples.ms(importWithout.p50()),
                Samples.ms(importWithout.p99()), Samples.ratio(importWith.p50() / importWithout.p50())));
        database.inTransaction(c -> {
            try (Statement statement = c.createStatement()) {
                statement.execute("DELETE FROM agent_runs WHERE user_id = 'rollup-writer'");
            }
            return null;
        });
    }

    private UUID write(String role, String user, String status, Instant started, Instant completed) {
        UUID id = UUID.randomUUID();
        return database.inTransaction(c -> {
            replicationRole(c, role);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO agent_runs (id, user_id, status, "
                    + "started_at, completed_at) VALUES (?, ?, ?, ?, ?)")) {
                insert.setObject(1, id);
                insert.setString(2, user);
                insert.setString(3, status);
                insert.setObject(4, started.atOffset(ZoneOffset.UTC));
                insert.setObject(5, completed == null ? null : completed.atOffset(ZoneOffset.UTC));
                insert.executeUpdate();
            }
            return id;
        });
    }

    private static void replicationRole(Connection connection, String role) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL session_replication_role = " + role);
        }
    }

    private void compareUsage(String label, String user, int monthRuns, int reads) throws Exception {
        byte[] event = usageEvent(user);
        JsonNode document = usageDocument(invoke(usageHandler, event));
        JsonNode counts = document.path("runs");
        assertEquals(monthRuns, counts.path("running").asLong() + counts.path("completed").asLong()
                + counts.path("failed").asLong() + counts.path("stopped").asLong(), "runs counted for " + user);
        String liveQuery = liveMonthTotalsQuery();
        assertEquals(List.of(document.path("usedMs").asLong(), document.path("inFlightMs").asLong(),
                counts.path("running").asLong(), counts.path("completed").asLong(), counts.path("failed").asLong(),
                counts.path("stopped").asLong()), monthTotalsRow(liveQuery, user), "roll-up and live agree for " + user);
        Samples ours = new Samples("runmeter", reads);
        Samples original = new Samples("original", reads);
        Samples live = new Samples("live query", reads);
        alternate(Math.max(2, Math.min(50, reads / 3)), reads, new LongSupplier[] {
            () -> timed(() -> invoke(usageHandler, event)),
            () -> timed(() -> originalMethod(user)),
            () -> timed(() -> monthTotalsRow(liveQuery, user))}, new Samples[] {ours, original, live});
        REPORT.line(String.format(Locale.ROOT, "| %s | %,d | %d | %s / %s | %s / %s | %s / %s | %s / %s |", label,
                monthRuns, reads, Samples.ms(ours.p50()), Samples.ms(ours.p99()), Samples.ms(original.p50()),
                Samples.ms(original.p99()), Samples.ms(live.p50()), Samples.ms(live.p99()),
                Samples.ratio(original.p50() / ours.p50()), Samples.ratio(original.p99() / ours.p99())));
        if (label.equals("heavy")) {
            Duration originalTotal = database.read(c -> OriginalMethod.monthlyUsage(c, user, YearMonth.of(2026, 11),
                    BenchData.NOW));
            REPORT.line("");
            REPORT.line(String.format(Locale.ROOT, "Heavy user: one read every %s ms at p50 is about %,.0f usage reads "
                    + "per second on one connection; targets (>= 10x faster than the original, p99 <= 20 ms): "
                    + "%s and %s. Answers differ by design: runmeter bills %s used + %s in flight minutes, the "
                    + "original method %,d minutes (it counts running runs up to now, and no time box).",
                    Samples.ms(ours.p50()), 1000 / ours.p50(),
                    original.p50() / ours.p50() >= 10 ? "met" : "NOT met",
                    ours.p99() <= 20 ? "met" : "NOT met (" + Samples.ms(ours.p99()) + " ms)",
                    document.path("usedMinutes").asText(), document.path("inFlightMinutes").asText(),
                    originalTotal.toMinutes()));
            REPORT.line("");
        }
    }

    // ---- 2. Starts

    @Test
    @Order(4)
    void startThroughput() throws Exception {
        REPORT.section("2. Starts per second across many users (instant fake Step Functions)");
        List<String> users = data.roomyUsers();
        String input = "{\"runId\": \"bench\", \"input\": {\"prompt\": \"Summarise the quarterly report\"}}";
        int starts = SIZES.starts();
        int threads = SIZES.startThreads();
        List<byte[]> events = new ArrayList<>();
        for (int i = 0; i < starts + 200; i++) {
            events.add(HttpApiEvent.post("/v1/runs").user(users.get(i % users.size()))
                    .header("idempotency-key", "bench-start-" + i).body(START_BODY).json().getBytes(UTF_8));
        }
        AtomicInteger refused = new AtomicInteger();
        IntConsumer start = i -> {
            String answer = invoke(runsHandler, events.get(i));
            if (!answer.startsWith("{\"statusCode\":202")) {
                refused.incrementAndGet();
            }
        };
        IntConsumer floor = i -> orchestrator.start(new AgentRun(UUID.randomUUID(), users.get(i % users.size()),
                null, RunStatus.RUNNING, BenchData.NOW, null, null, null, null), input);
        throughput(200, threads, floor, 0);
        throughput(200, threads, start, starts); // warm-up on the events after the measured ones
        double floorBefore = throughput(starts, threads, floor, 0);
        double ours = throughput(starts, threads, start, 0);
        double floorAfter = throughput(starts, threads, floor, 0);
        double floorRate = (floorBefore + floorAfter) / 2;
        assertEquals(0, refused.get(), "every start of a user far from the limit is accepted (202)");
        REPORT.line(String.format(Locale.ROOT, "%,d `POST /v1/runs` events through the `runs` handler on %d threads "
                + "over %,d users (plan %s): **%,.0f starts/s**. Baseline, same threads: StartExecution alone "
                + "through the same SDK client to the same fake, no database: %,.0f calls/s (mean of before and "
                + "after: %,.0f and %,.0f). A start costs %s of that floor: the per-user lock, the month's usage, "
                + "the insert, one commit, then the execution ARN.", starts, threads, users.size(),
                BenchData.ROOMY_PLAN, ours, floorRate, floorBefore, floorAfter, Samples.ratio(floorRate / ours)));
    }

    @Test
    @Order(5)
    void overshootAtTheLimit() throws Exception {
        REPORT.section("2b. Overshoot: 50 simultaneous starts of one user at the edge of the limit");
        RunRows rows = new RunRows(dataSource);
        rows.execute("INSERT INTO plans (name, monthly_minutes, max_concurrent_runs) VALUES ('bench_three', 6000, 3) "
                + "ON CONFLICT (name) DO NOTHING");
        int rounds = SIZES.overshootRounds();
        List<String> ours = new ArrayList<>();
        List<String> unlocked = new ArrayList<>();
        List<String> minutes = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            String user = "edge-" + round;
            rows.account(user, "bench_three");
            rows.running(user, BenchData.NOW.minusSeconds(60).toString());
            rows.running(user, BenchData.NOW.minusSeconds(120).toString());
            List<byte[]> events = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                events.add(HttpApiEvent.post("/v1/runs").user(user).header("idempotency-key", "edge-" + i)
                        .body(START_BODY).json().getBytes(UTF_8));
            }
            int started = race(50, i -> invoke(runsHandler, events.get(i)).startsWith("{\"statusCode\":202"));
            long running = runningOf(user);
            ours.add(started + " started, " + running + " running");
            assertEquals(1, started, "one start fits under the concurrency limit");
            assertEquals(3, running, "no overshoot");

            String baselineUser = "edge-unlocked-" + round;
            rows.account(baselineUser, "bench_three");
            rows.running(baselineUser, BenchData.NOW.minusSeconds(60).toString());
            rows.running(baselineUser, BenchData.NOW.minusSeconds(120).toString());
            int baselineStarted = race(50, i -> uncheckedStartWithoutLock(baselineUser));
            unlocked.add(baselineStarted + " started, " + runningOf(baselineUser) + " running");

            String full = "limit-" + round;
            rows.completed(full, BenchData.NOW.minus(Duration.ofHours(3)).toString(),
                    BenchData.NOW.minus(Duration.ofHours(2)).toString()); // 60 minutes: the free plan's limit
            List<byte[]> fullEvents = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                fullEvents.add(HttpApiEvent.post("/v1/runs").user(full).header("idempotency-key", "full-" + i)
                        .body(START_BODY).json().getBytes(UTF_8));
            }
            int startedOverMinutes = race(50, i -> invoke(runsHandler, fullEvents.get(i))
                    .startsWith("{\"statusCode\":202"));
            minutes.add(String.valueOf(startedOverMinutes));
            assertEquals(0, startedOverMinutes, "nothing starts once the month's minutes are used up");
        }
        REPORT.line("Plan `bench_three` (max 3 concurrent runs), 2 already running, 50 threads released at once, each "
                + "one `POST /v1/runs` through the `runs` handler; " + rounds + " rounds with a fresh user each.");
        REPORT.line("");
        REPORT.line("| | per round | overshoot |");
        REPORT.line("|---|---|---:|");
        REPORT.line("| runmeter (`runs` handler) | " + String.join("; ", ours) + " | "
                + overshoot(ours) + " |");
        REPORT.line("| baseline: the same checks and insert without the per-user lock | " + String.join("; ", unlocked)
                + " | " + overshoot(unlocked) + " |");
        REPORT.line("| runmeter, user at the free plan's 60 minutes | " + String.join("; ", minutes)
                + " started of 50 | 0 runs over the limit |");
    }

    /** The runs above the limit of 3, summed over the rounds. */
    private static long overshoot(List<String> rounds) {
        return rounds.stream().mapToLong(r -> Math.max(0,
                Long.parseLong(r.replaceAll(".* (\\d+) running", "$1")) - 3)).sum();
    }

    /** RunService.start's checks and insert without lockUser: what the lock prevents (no execution started). */
    private boolean uncheckedStartWithoutLock(String user) {
        return database.inTransaction(connection -> {
            MonthTotals month = usageStore.monthTotals(connection, user, NOVEMBER, BenchData.NOW);
            if (month.usedMs() + month.inFlightMs() >= month.plan().monthlyMinutes() * 60_000L) {
                return false;
            }
            if (runStore.countRunning(connection, user, BenchData.NOW.minus(config.runs().maxDuration())) >= 3) {
                return false;
            }
            runStore.insert(connection, new AgentRun(UUID.randomUUID(), user, null, RunStatus.RUNNING,
                    BenchData.NOW, null, null, null, null), null);
            return true;
        });
    }

    // ---- 3. Sweep

    @Test
    @Order(6)
    void sweepWithNothingOverdue() throws Exception {
        REPORT.section("3. Sweep with nothing overdue");
        long table = count("SELECT count(*) FROM agent_runs");
        byte[] fix = "{\"mode\": \"fix\"}".getBytes(UTF_8);
        byte[] all = Files.readAllBytes(Path.of("events", "eventbridge-scheduled.json"));
        JsonNode report = HttpApiEvent.JSON.readTree(invoke(sweepHandler, fix));
        assertEquals(0, report.path("found").asLong(), "nothing overdue");
        int sweeps = SIZES.idleSweeps();
        Samples fixes = new Samples("fix", sweeps);
        Samples scheduled = new Samples("all", Math.max(1, sweeps / 10));
        Samples seqScan = new Samples("seq scan", Math.max(1, sweeps / 10));
        String overdueQuery = overdueQuery();
        Instant overdueBefore = BenchData.NOW.minus(OVERDUE_AFTER);
        alternate(20, sweeps, new LongSupplier[] {() -> timed(() -> invoke(sweepHandler, fix))},
                new Samples[] {fixes});
        alternate(2, scheduled.capacity(), new LongSupplier[] {
            () -> timed(() -> invoke(sweepHandler, all)),
            () -> timed(() -> overdueProbeWithoutIndex(overdueQuery, overdueBefore))},
            new Samples[] {scheduled, seqScan});
        boolean met = fixes.p50() < 20 && fixes.p99() < 20;
        REPORT.line(String.format(Locale.ROOT, "Among %,d runs: `{\"mode\": \"fix\"}` through the `sweep` handler, %d "
                + "invocations: p50 **%s ms**, p99 %s ms (target < 20 ms: %s). Baseline: the same overdue query "
                + "with index scans disabled (what it costs without the partial index): p50 %s ms, so the probe is "
                + "%s faster. The scheduled event (mode `all`, which adds the health stats) takes p50 %s ms / p99 "
                + "%s ms (%d invocations): the stats count every row of the table.", table, sweeps,
                Samples.ms(fixes.p50()), Samples.ms(fixes.p99()), met ? "met" : "NOT met",
                Samples.ms(seqScan.p50()), Samples.ratio(seqScan.p50() / fixes.p50()), Samples.ms(scheduled.p50()),
                Samples.ms(scheduled.p99()), scheduled.count()));
        REPORT.line("");
        REPORT.line("EXPLAIN (ANALYZE, BUFFERS) of the sweep's claim query (SweepStore.OVERDUE + FOR UPDATE SKIP "
                + "LOCKED, first batch):");
        REPORT.code(explain(overdueQuery, overdueBefore, false));
        REPORT.line("The same without index scans (the baseline):");
        REPORT.code(explain(overdueQuery, overdueBefore, true));
    }

    @Test
    @Order(7)
    void settleOverdueRuns() throws Exception {
        REPORT.section("3b. Settling overdue runs in batches (instant fake Step Functions)");
        int overdue = SIZES.overdue();
        List<AgentRun> sample = copyOverdueRuns(overdue);
        Instant stopDate = BenchData.NOW.minus(Duration.ofHours(2));
        describeAnswer.set(succeeded(stopDate));

        int floorCalls = Math.min(SIZES.describeFloorCalls(), sample.size());
        for (int i = 0; i < Math.min(200, floorCalls); i++) {
            orchestrator.describe(sample.get(i));
        }
        long floorStarted = System.nanoTime();
        for (int i = 0; i < floorCalls; i++) {
            orchestrator.describe(sample.get(i));
        }
        double floorMsPerCall = (System.nanoTime() - floorStarted) / 1e6 / floorCalls;

        byte[] fix = "{\"mode\": \"fix\"}".getBytes(UTF_8);
        long started = System.nanoTime();
        long fixed = 0;
        int invocations = 0;
        List<String> perInvocation = new ArrayList<>();
        while (invocations < 50) {
            long invocationStarted = System.nanoTime();
            JsonNode report = HttpApiEvent.JSON.readTree(invoke(sweepHandler, fix));
            invocations++;
            fixed += report.path("fixed").asLong();
            perInvocation.add(String.format(Locale.ROOT, "%,d in %.1f s", report.path("fixed").asLong(),
                    (System.nanoTime() - invocationStarted) / 1e9));
            if (report.path("found").asLong() == 0) {
                break;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertEquals(overdue, fixed, "every overdue run settled once");
        assertEquals(0, count("SELECT count(*) FROM agent_runs WHERE status = 'running' AND started_at < ?",
                BenchData.NOW.minus(OVERDUE_AFTER)));
        double msPerRun = seconds * 1000 / overdue;
        REPORT.line(String.format(Locale.ROOT, "%,d overdue runs among %,d, each with an execution the fake "
                + "describes as SUCCEEDED; `{\"mode\": \"fix\"}` through the `sweep` handler, batch size %d: "
                + "**%.1f s** in %d invocation(s) (%s), %.2f ms per run (target < 60 s: %s). Baseline: "
                + "DescribeExecution alone through the same SDK client to the same fake, one call after another, "
                + "%,d calls: %.2f ms per call, so the sweep, which describes %d executions at a time, costs %s of "
                + "that sequential floor per run (the claim, the compare-and-set update, one commit per batch, two "
                + "log lines per run).", overdue,
                count("SELECT count(*) FROM agent_runs"), config.sweep().batchSize(), seconds, invocations,
                String.join("; ", perInvocation), msPerRun, seconds < 60 ? "met" : "NOT met", floorCalls,
                floorMsPerCall, config.sweep().describeConcurrency(), Samples.ratio(msPerRun / floorMsPerCall)));
        REPORT.line("");
        REPORT.line("The benchmark's clock is fixed, so one invocation never reaches its 4-minute time budget; in AWS "
                + "a sweep that needs longer stops at the budget and the next scheduled one continues.");
    }

    /** COPYs {@code overdue} running runs that started 2h20m to 6h before now; returns some for the floor. */
    private List<AgentRun> copyOverdueRuns(int overdue) throws Exception {
        Random random = new Random(SIZES.seed() + 1);
        List<String> users = data.users();
        StringBuilder rows = new StringBuilder();
        List<AgentRun> sample = new ArrayList<>();
        for (int i = 0; i < overdue; i++) {
            UUID id = new UUID(random.nextLong() & ~0xF000L | 0x4000L,
                    random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L);
            String user = users.get(random.nextInt(users.size()));
            Instant start = BenchData.NOW.minus(Duration.ofMinutes(140))
                    .minusMillis((long) (random.nextDouble() * Duration.ofMinutes(220).toMillis()));
            rows.append(id).append(',').append(user).append(",,running,").append(start).append(",,,,")
                    .append(BenchData.EXECUTION_PREFIX).append(id).append('\n');
            if (sample.size() < SIZES.describeFloorCalls()) {
                sample.add(new AgentRun(id, user, null, RunStatus.RUNNING, start, null, null, null,
                        BenchData.EXECUTION_PREFIX + id));
            }
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY agent_runs (id, user_id, thread_id, "
                    + "status, started_at, completed_at, failure_reason, error, execution_arn) FROM STDIN (FORMAT csv)",
                    new StringReader(rows.toString()));
        }
        return sample;
    }

    // ---- helpers

    private static byte[] usageEvent(String user) {
        return HttpApiEvent.get("/v1/usage").user(user).query("month", BenchData.MONTH).json().getBytes(UTF_8);
    }

    private static JsonNode usageDocument(String answer) throws IOException {
        JsonNode response = HttpApiEvent.JSON.readTree(answer);
        assertEquals(200, response.path("statusCode").asInt(), answer);
        return HttpApiEvent.JSON.readTree(response.path("body").asText());
    }

    private Duration originalMethod(String user) {
        return database.read(c -> OriginalMethod.monthlyUsage(c, user, YearMonth.of(2026, 11), BenchData.NOW));
    }

    static String invoke(RequestStreamHandler handler, byte[] event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
        try {
            handler.handleRequest(new ByteArrayInputStream(event), out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(UTF_8);
    }

    private static long timed(Runnable operation) {
        long started = System.nanoTime();
        operation.run();
        return System.nanoTime() - started;
    }

    /** Runs the operations in turn, warm-up rounds first, so noise falls on all of them alike. */
    private static void alternate(int warmup, int rounds, LongSupplier[] operations, Samples[] into) {
        for (int i = 0; i < warmup; i++) {
            for (LongSupplier operation : operations) {
                operation.getAsLong();
            }
        }
        for (int i = 0; i < rounds; i++) {
            for (int j = 0; j < operations.length; j++) {
                into[j].add(operations[j].getAsLong());
            }
        }
    }

    /** Operations per second: {@code count} calls of the operation (indexes from {@code first}) on that many threads. */
    private static double throughput(int count, int threads, IntConsumer operation, int first) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger(first);
        int end = first + count;
        List<Future<?>> workers = new ArrayList<>();
        long started = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            workers.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < end; i = next.getAndIncrement()) {
                    operation.accept(i);
                }
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(10, TimeUnit.MINUTES);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        pool.shutdown();
        return count / seconds;
    }

    /** Releases that many threads at once on the call; returns how many returned true. */
    private static int race(int threads, java.util.function.IntPredicate call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            futures.add(pool.submit((Callable<Boolean>) () -> {
                go.await();
                return call.test(index);
            }));
        }
        go.countDown();
        int yes = 0;
        for (Future<Boolean> future : futures) {
            yes += future.get(2, TimeUnit.MINUTES) ? 1 : 0;
        }
        pool.shutdown();
        return yes;
    }

    private long runningOf(String user) {
        return count("SELECT count(*) FROM agent_runs WHERE user_id = ? AND status = 'running'", user);
    }

    /** The sweep's own claim query, read from SweepStore so the benchmark cannot drift from it. */
    private static String overdueQuery() throws ReflectiveOperationException {
        Field field = SweepStore.class.getDeclaredField("OVERDUE");
        field.setAccessible(true);
        return field.get(null) + " FOR UPDATE SKIP LOCKED";
    }

    private void overdueProbeWithoutIndex(String query, Instant overdueBefore) {
        database.inTransaction(connection -> {
            disableIndexScans(connection);
            // Its own statement text: the driver would otherwise reuse the sweep's prepared statement, whose cached
            // plan was made with index scans on and ignores the settings above.
            try (PreparedStatement statement = prepareOverdue(connection, "/* without index */ " + query,
                    overdueBefore);
                    ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    // nothing is overdue; the scan is the cost
                }
            }
            connection.rollback();
            return null;
        });
    }

    private static void disableIndexScans(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL enable_indexscan = off");
            statement.execute("SET LOCAL enable_indexonlyscan = off");
            statement.execute("SET LOCAL enable_bitmapscan = off");
        }
    }

    private PreparedStatement prepareOverdue(Connection connection, String query, Instant overdueBefore)
            throws SQLException {
        PreparedStatement statement = connection.prepareStatement(query);
        statement.setObject(1, overdueBefore.atOffset(ZoneOffset.UTC));
        statement.setObject(2, null, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
        statement.setObject(3, null, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
        statement.setObject(4, null, java.sql.Types.OTHER);
        statement.setInt(5, config.sweep().batchSize());
        return statement;
    }

    private String explain(String query, Instant overdueBefore, boolean withoutIndex) {
        return database.inTransaction(connection -> {
            if (withoutIndex) {
                disableIndexScans(connection);
            }
            StringBuilder plan = new StringBuilder();
            try (PreparedStatement statement = prepareOverdue(connection, "EXPLAIN (ANALYZE, BUFFERS) " + query,
                    overdueBefore); ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            connection.rollback();
            return plan.toString();
        });
    }

    /** UsageStore's month query, read from it so the benchmark cannot drift from it. */
    private static String monthTotalsQuery() throws ReflectiveOperationException {
        Field field = UsageStore.class.getDeclaredField("MONTH_TOTALS");
        field.setAccessible(true);
        return (String) field.get(null);
    }

    /** UsageStore's month query with its roll-up gate forced shut: the live branch, i.e. the query before it. */
    private static String liveMonthTotalsQuery() throws ReflectiveOperationException {
        String gate = "coalesce((SELECT max_duration_ms FROM billing_basis) = p.max_ms, false) AS rolled_up";
        String query = monthTotalsQuery();
        assertTrue(query.contains(gate), "UsageStore's roll-up gate");
        return query.replace(gate, "false AS rolled_up");
    }

    /** Bound as UsageStore binds it; usageGrowth checks the answers equal UsageStore's own. */
    private PreparedStatement monthTotalsStatement(Connection connection, String query, String user,
            BillingMonth month) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(query);
        Duration lookback = config.runs().maxDuration();
        Instant firstDay = month.start().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
        if (!firstDay.equals(month.start())) {
            firstDay = firstDay.plus(Duration.ofDays(1));
        }
        Instant endDay = month.end().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
        int next = 1;
        statement.setLong(next++, BenchData.NOW.toEpochMilli());
        statement.setLong(next++, config.runs().maxDuration().toMillis());
        statement.setLong(next++, config.billing().activeRunCap().toMillis());
        statement.setLong(next++, month.start().toEpochMilli());
        statement.setLong(next++, month.end().toEpochMilli());
        statement.setObject(next++, month.start().atOffset(ZoneOffset.UTC));
        statement.setObject(next++, month.start().minus(lookback).atOffset(ZoneOffset.UTC));
        statement.setObject(next++, month.end().atOffset(ZoneOffset.UTC));
        statement.setString(next++, user);
        statement.setString(next++, user);
        statement.setObject(next++, java.time.LocalDate.ofInstant(firstDay, ZoneOffset.UTC));
        statement.setObject(next++, java.time.LocalDate.ofInstant(endDay, ZoneOffset.UTC));
        statement.setLong(next++, firstDay.toEpochMilli());
        statement.setLong(next++, endDay.toEpochMilli());
        statement.setObject(next++, firstDay.atOffset(ZoneOffset.UTC));
        statement.setObject(next++, endDay.atOffset(ZoneOffset.UTC));
        statement.setString(next++, user);
        statement.setString(next, config.billing().defaultPlan());
        return statement;
    }

    /** used_ms, in_flight_ms and the four counts of a month query's row. */
    private List<Long> monthTotalsRow(String query, String user) {
        return database.read(connection -> {
            try (PreparedStatement statement = monthTotalsStatement(connection, query, user, NOVEMBER);
                    ResultSet row = statement.executeQuery()) {
                row.next();
                return List.of(row.getLong("used_ms"), row.getLong("in_flight_ms"), row.getLong("running"),
                        row.getLong("completed"), row.getLong("failed"), row.getLong("stopped"));
            }
        });
    }

    private String explainMonthTotals(String query, String user) {
        return explainMonthTotals(query, user, NOVEMBER);
    }

    private String explainMonthTotals(String query, String user, BillingMonth month) {
        return database.read(connection -> {
            StringBuilder plan = new StringBuilder();
            try (PreparedStatement statement = monthTotalsStatement(connection, "EXPLAIN (ANALYZE, BUFFERS) " + query,
                    user, month); ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            return plan.toString();
        });
    }

    private String sql(String query) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(query)) {
            row.next();
            return row.getString(1);
        }
    }

    private long count(String query, Object... parameters) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(query)) {
            for (int i = 0; i < parameters.length; i++) {
                Object parameter = parameters[i];
                statement.setObject(i + 1, parameter instanceof Instant instant ? instant.atOffset(ZoneOffset.UTC)
                        : parameter);
            }
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> String.format(Locale.ROOT, "%.1f GiB",
                            Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0))
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
