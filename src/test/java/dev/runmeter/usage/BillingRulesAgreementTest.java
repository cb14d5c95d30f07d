package dev.runmeter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import io.quarkus.test.junit.QuarkusTest;

/**
 * The month query applies the billing rules inside PostgreSQL; BillingRules applies them in Java. Both must agree
 * to the millisecond on any row the schema allows: random rows (fixed seed) crowded around month boundaries, the
 * time box, "now" and sub-millisecond instants, read through a session in a far-off time zone.
 */
@QuarkusTest
class BillingRulesAgreementTest {

    private static final Instant NOW = Instant.parse("2026-11-30T23:10:00Z");
    private static final String[] STATUSES = { "running", "completed", "failed", "stopped" };

    @Inject
    DataSource dataSource;
    @Inject
    UsageStore store;
    @Inject
    RunmeterConfig config;

    @Test
    void sqlAndJavaBillEveryRunAlike() throws Exception {
        Random random = new Random(20261203);
        BillingRules rules = new BillingRules(config.runs().maxDuration(), config.billing().activeRunCap(),
                Clock.fixed(NOW, ZoneOffset.UTC));
        String user = RunRows.newUser();
        List<AgentRun> runs = new ArrayList<>();
        RunRows rows = new RunRows(dataSource);
        for (int i = 0; i < 3000; i++) {
            AgentRun run = randomRun(random, user);
            runs.add(run);
            rows.execute("INSERT INTO agent_runs (id, user_id, status, started_at, completed_at, failure_reason) "
                    + "VALUES (?, ?, ?, ?, ?, ?)", run.id(), user, run.status().dbValue(),
                    run.startedAt().atOffset(ZoneOffset.ofHours(-7)),
                    run.completedAt() == null ? null : run.completedAt().atOffset(ZoneOffset.ofHoursMinutes(5, 45)),
                    run.failureReason() == null ? null : run.failureReason().dbValue());
        }

        for (ZoneId zone : List.of(ZoneOffset.UTC, ZoneId.of("America/New_York"), ZoneId.of("Australia/Lord_Howe"))) {
            for (YearMonth yearMonth : List.of(YearMonth.of(2026, 10), YearMonth.of(2026, 11), YearMonth.of(2026, 12))) {
                BillingMonth month = BillingMonth.of(yearMonth, zone);
                long used = 0;
                long inFlight = 0;
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
                    if (startedInMonth || ms > 0) {
                        expectedRuns.put(run.id(), ms);
                    }
                }

                try (Connection connection = dataSource.getConnection()) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("SET TIME ZONE 'Pacific/Chatham'");
                    }
                    MonthTotals totals = store.monthTotals(connection, user, month, NOW);
                    assertEquals(used, totals.usedMs(), "used in " + month + " " + zone);
                    assertEquals(inFlight, totals.inFlightMs(), "in flight in " + month + " " + zone);
                    Map<UUID, Long> listed = new HashMap<>();
                    for (BilledRun billed : store.monthRuns(connection, user, month, NOW, null, 10_000)) {
                        listed.put(billed.id(), billed.billedMs());
                    }
                    assertEquals(expectedRuns, listed, "runs of " + month + " " + zone);
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("RESET TIME ZONE");
                    }
                }
            }
        }
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
