package dev.runmeter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.FailureReason;
import dev.runmeter.runs.RunStatus;
import dev.runmeter.support.RunRows;
import dev.runmeter.usage.BillingRules.Interval;
import dev.runmeter.usage.BillingRules.Kind;
import dev.runmeter.usage.UsageStore.BilledRun;
import dev.runmeter.usage.UsageStore.MonthTotals;
import dev.runmeter.usage.UsageStore.RunCounts;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The month query applies the billing rules inside PostgreSQL (from the usage_days roll-up that a trigger keeps, or
 * live from the runs); BillingRules applies them in Java. Both must agree to the millisecond on any row the schema
 * allows: random rows (fixed seed) crowded around month and UTC-day boundaries, the time box, "now" and
 * sub-millisecond instants, written by plain SQL and then updated (finished, completed_at moved, moved between users)
 * and deleted, read through a session in a far-off time zone, in zones whose months start at odd UTC hours.
 */
@QuarkusTest
class BillingRulesAgreementTest {

    private static final Instant NOW = Instant.parse("2026-11-30T23:10:00Z");
    private static final String[] STATUSES = { "running", "completed", "failed", "stopped" };
    private static final String[] FINISHED = { "completed", "failed", "stopped" };
    private static final List<ZoneId> ZONES = List.of(ZoneOffset.UTC, ZoneId.of("America/New_York"),
            ZoneId.of("Asia/Kathmandu"), ZoneId.of("Australia/Lord_Howe"));
    private static final List<YearMonth> MONTHS = List.of(YearMonth.of(2026, 10), YearMonth.of(2026, 11),
            YearMonth.of(2026, 12));

    @Inject
    DataSource dataSource;
    @Inject
    UsageStore store;
    @Inject
    RunmeterConfig config;

    @Test
    void sqlAndJavaBillEveryRunAlike() throws Exception {
        Random random = new Random(20261203);
        String user = RunRows.newUser();
        Map<UUID, AgentRun> runs = new LinkedHashMap<>();
        for (int i = 0; i < 3000; i++) {
            AgentRun run = randomRun(random, user);
            insert(run);
            runs.put(run.id(), run);
        }
        assertAgreement(user, runs.values());
    }

    @Test
    void sqlAndJavaAgreeAfterRowsAreUpdatedMovedAndDeleted() throws Exception {
        Random random = new Random(20261204);
        String user = RunRows.newUser();
        String other = RunRows.newUser();
        Map<UUID, AgentRun> runs = new LinkedHashMap<>();
        for (int i = 0; i < 3000; i++) {
            AgentRun run = randomRun(random, i % 3 == 0 ? other : user);
            insert(run);
            runs.put(run.id(), run);
        }
        RunRows rows = new RunRows(dataSource);
        List<UUID> ids = new ArrayList<>(runs.keySet());
        for (int i = 0; i < 2000; i++) {
            AgentRun run = runs.get(ids.get(random.nextInt(ids.size())));
            if (run == null) {
                continue;
            }
            AgentRun changed;
            switch (random.nextInt(5)) {
                case 0 -> {
                    String status = FINISHED[random.nextInt(FINISHED.length)];
                    changed = new AgentRun(run.id(), run.userId(), null, RunStatus.fromDb(status), run.startedAt(),
                            randomCompletion(random, run.startedAt()), null, null, null);
                }
                case 1 -> changed = new AgentRun(run.id(), run.userId(), null, run.status(), run.startedAt(),
                        randomCompletion(random, run.startedAt()), run.failureReason(), null, null);
                case 2 -> changed = new AgentRun(run.id(), run.userId().equals(user) ? other : user, null,
                        run.status(), run.startedAt(), run.completedAt(), run.failureReason(), null, null);
                case 3 -> changed = new AgentRun(run.id(), run.userId(), null, run.status(),
                        run.startedAt().plus(randomDuration(random)), run.completedAt(), run.failureReason(), null,
                        null);
                default -> {
                    rows.execute("DELETE FROM agent_runs WHERE id = ?", run.id());
                    runs.remove(run.id());
                    continue;
                }
            }
            rows.execute("UPDATE agent_runs SET user_id = ?, status = ?, started_at = ?, completed_at = ?, "
                    + "failure_reason = ? WHERE id = ?", changed.userId(), changed.status().dbValue(),
                    changed.startedAt().atOffset(ZoneOffset.ofHours(3)),
                    changed.completedAt() == null ? null : changed.completedAt().atOffset(ZoneOffset.UTC),
                    changed.failureReason() == null ? null : changed.failureReason().dbValue(), changed.id());
            runs.put(changed.id(), changed);
        }
        for (String owner : List.of(user, other)) {
            assertAgreement(owner, runs.values().stream().filter(run -> run.userId().equals(owner)).toList());
        }
        assertRollUpEqualsARebuild(user, other);
    }

    /** Every month and zone: totals, counts, suspicious runs and the run list as BillingRules has them. */
    private void assertAgreement(String user, Collection<AgentRun> runs) throws Exception {
        Duration maxDuration = config.runs().maxDuration();
        Duration activeRunCap = config.billing().activeRunCap();
        BillingRules rules = new BillingRules(maxDuration, activeRunCap, Clock.fixed(NOW, ZoneOffset.UTC));
        Duration lookback = maxDuration.compareTo(activeRunCap) >= 0 ? maxDuration : activeRunCap;
        for (ZoneId zone : ZONES) {
            for (YearMonth yearMonth : MONTHS) {
                BillingMonth month = BillingMonth.of(yearMonth, zone);
                String where = month + " " + zone;
                long used = 0;
                long inFlight = 0;
                Map<RunStatus, Long> started = new EnumMap<>(RunStatus.class);
                Set<UUID> suspicious = new HashSet<>();
                Map<UUID, Long> expectedRuns = new HashMap<>();
                for (AgentRun run : runs) {
                    Interval interval = rules.intervalOf(run);
                    long ms = interval == null ? 0 : interval.msWithin(month);
                    if (interval != null && interval.kind() == Kind.USED) {
                        used += ms;
                    } else if (interval != null) {
                        inFlight += ms;
                    }
                    boolean startedInMonth = !run.startedAt().isBefore(month.start())
                            && run.startedAt().isBefore(month.end());
                    if (startedInMonth) {
                        started.merge(run.status(), 1L, Long::sum);
                    }
                    if (startedInMonth || ms > 0) {
                        expectedRuns.put(run.id(), ms);
                    }
                    if (isSuspicious(run) && !run.startedAt().isBefore(month.start().minus(lookback))
                            && run.startedAt().isBefore(month.end())) {
                        suspicious.add(run.id());
                    }
                }

                try (Connection connection = dataSource.getConnection()) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("SET TIME ZONE 'Pacific/Chatham'");
                    }
                    MonthTotals totals = store.monthTotals(connection, user, month, NOW);
                    assertEquals(used, totals.usedMs(), "used in " + where);
                    assertEquals(inFlight, totals.inFlightMs(), "in flight in " + where);
                    assertEquals(new RunCounts(started.getOrDefault(RunStatus.RUNNING, 0L),
                            started.getOrDefault(RunStatus.COMPLETED, 0L), started.getOrDefault(RunStatus.FAILED, 0L),
                            started.getOrDefault(RunStatus.STOPPED, 0L)), totals.runs(), "runs started in " + where);
                    assertEquals(suspicious, new HashSet<>(totals.suspiciousRuns()), "suspicious in " + where);
                    assertEquals(suspicious.size(), totals.suspiciousRuns().size(), "suspicious once in " + where);
                    Map<UUID, Long> listed = new HashMap<>();
                    for (BilledRun billed : store.monthRuns(connection, user, month, NOW, null, 10_000)) {
                        listed.put(billed.id(), billed.billedMs());
                    }
                    assertEquals(expectedRuns, listed, "runs of " + where);
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("RESET TIME ZONE");
                    }
                }
            }
        }
    }

    /** What the trigger kept, after all those writes, is what a rebuild from agent_runs computes. */
    private void assertRollUpEqualsARebuild(String... users) throws Exception {
        String kept = "SELECT day, used_ms, completed, failed, stopped FROM usage_days WHERE user_id = ? "
                + "AND (used_ms, completed, failed, stopped) <> (0, 0, 0, 0) ORDER BY day";
        String rebuilt = "SELECT c.day, sum(c.used_ms), sum(c.completed), sum(c.failed), sum(c.stopped) "
                + "FROM agent_runs r CROSS JOIN billing_basis b CROSS JOIN LATERAL usage_day_contributions("
                + "r.started_at, r.completed_at, r.status, r.failure_reason, b.max_duration_ms) c "
                + "WHERE r.user_id = ? AND r.status <> 'running' GROUP BY c.day "
                + "HAVING (sum(c.used_ms), sum(c.completed), sum(c.failed), sum(c.stopped)) <> (0, 0, 0, 0) "
                + "ORDER BY c.day";
        for (String user : users) {
            List<String> keptRows = rows(kept, user);
            assertTrue(keptRows.size() > 30, "roll-up rows of " + user + ": " + keptRows.size());
            assertEquals(rows(rebuilt, user), keptRows, "roll-up of " + user);
        }
    }

    private List<String> rows(String sql, String user) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, user);
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    rows.add(row.getString(1) + " " + row.getLong(2) + " " + row.getLong(3) + " " + row.getLong(4)
                            + " " + row.getLong(5));
                }
            }
        }
        return rows;
    }

    private static boolean isSuspicious(AgentRun run) {
        return run.status() != RunStatus.RUNNING && run.completedAt() != null
                && (run.failureReason() == null || !run.failureReason().billsNothing())
                && run.completedAt().truncatedTo(ChronoUnit.MILLIS)
                        .isBefore(run.startedAt().truncatedTo(ChronoUnit.MILLIS));
    }

    private void insert(AgentRun run) {
        new RunRows(dataSource).execute("INSERT INTO agent_runs (id, user_id, status, started_at, completed_at, "
                + "failure_reason) VALUES (?, ?, ?, ?, ?, ?)", run.id(), run.userId(), run.status().dbValue(),
                run.startedAt().atOffset(ZoneOffset.ofHours(-7)),
                run.completedAt() == null ? null : run.completedAt().atOffset(ZoneOffset.ofHoursMinutes(5, 45)),
                run.failureReason() == null ? null : run.failureReason().dbValue());
    }

    /** Mostly after the start, sometimes before it (suspicious), sometimes in the same millisecond. */
    private static Instant randomCompletion(Random random, Instant start) {
        return switch (random.nextInt(8)) {
            case 0 -> null;
            case 1 -> start.plusNanos(random.nextInt(1000) * 1000L - 500_000).truncatedTo(ChronoUnit.MICROS);
            default -> start.plus(randomDuration(random).multipliedBy(random.nextInt(20) == 0 ? -1 : 1))
                    .plusNanos(random.nextInt(1000) * 1000L).truncatedTo(ChronoUnit.MICROS);
        };
    }

    private static AgentRun randomRun(Random random, String user) {
        Instant[] anchors = { Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-01T04:00:00Z"),
                Instant.parse("2026-12-01T05:00:00Z"), Instant.parse("2026-10-31T13:00:00Z"), NOW,
                Instant.parse("2026-11-15T00:00:00Z") };
        Instant anchor = anchors[random.nextInt(anchors.length)];
        Instant start = anchor.plus(randomDuration(random).multipliedBy(random.nextBoolean() ? 1 : -1))
                .plusNanos(random.nextInt(3) == 0 ? random.nextInt(1_000_000) * 1000L : 0);
        RunStatus status = RunStatus.fromDb(STATUSES[random.nextInt(STATUSES.length)]);
        Instant completed = null;
        FailureReason reason = null;
        if (status != RunStatus.RUNNING) {
            if (random.nextInt(10) > 0) {
                completed = start.plus(randomDuration(random).multipliedBy(random.nextInt(20) == 0 ? -1 : 1))
                        .plusNanos(random.nextInt(1000) * 1000L).truncatedTo(ChronoUnit.MICROS);
            }
            if (status == RunStatus.FAILED && random.nextInt(6) > 0) {
                reason = FailureReason.values()[random.nextInt(FailureReason.values().length)];
            }
        }
        return new AgentRun(UUID.randomUUID(), user, null, status, start.truncatedTo(ChronoUnit.MICROS), completed,
                reason, null, null);
    }

    /** Mostly minutes, often right at the time box or the cap, sometimes days. */
    private static Duration randomDuration(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> Duration.ofHours(2).plusMillis(random.nextInt(3) - 1);
            case 1 -> Duration.ofMinutes(30).plusMillis(random.nextInt(3) - 1);
            case 2 -> Duration.ofDays(random.nextInt(40));
            default -> Duration.ofMillis(random.nextInt(3 * 3_600_000));
        };
    }
}
