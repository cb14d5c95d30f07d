package dev.runmeter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.FailureReason;
import dev.runmeter.runs.RunStatus;
import dev.runmeter.usage.BillingRules.Interval;
import dev.runmeter.usage.BillingRules.Kind;

/** The billing rules as plain code, with a fixed clock: no Quarkus, no database. */
class BillingRulesTest {

    private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
    private static final long MINUTE = 60_000;

    private final BillingRules rules = new BillingRules(Duration.ofHours(2), Duration.ofMinutes(30),
            Clock.fixed(NOW, ZoneOffset.UTC));

    private static AgentRun run(RunStatus status, String startedAt, String completedAt, FailureReason reason) {
        return new AgentRun(UUID.randomUUID(), "u", null, status, Instant.parse(startedAt),
                completedAt == null ? null : Instant.parse(completedAt), reason, null, null);
    }

    @Test
    void finishedRunsBillFromStartToCompletion() {
        assertEquals(2 * MINUTE, rules.billedMs(run(RunStatus.COMPLETED,
                "2026-11-20T09:00:00Z", "2026-11-20T09:02:00Z", null)));
        assertEquals(5 * MINUTE + 1, rules.billedMs(run(RunStatus.STOPPED,
                "2026-11-20T09:00:00Z", "2026-11-20T09:05:00.001Z", null)));
        assertEquals(7 * MINUTE, rules.billedMs(run(RunStatus.FAILED,
                "2026-11-20T09:00:00Z", "2026-11-20T09:07:00Z", FailureReason.ERROR)));
        assertEquals(Kind.USED, rules.intervalOf(run(RunStatus.COMPLETED,
                "2026-11-20T09:00:00Z", "2026-11-20T09:02:00Z", null)).kind());
    }

    @Test
    void noRunBillsMoreThanTheTimeBox() {
        assertEquals(120 * MINUTE, rules.billedMs(run(RunStatus.COMPLETED,
                "2026-11-01T00:00:00Z", "2026-11-19T00:00:00Z", null)));
        assertEquals(120 * MINUTE, rules.billedMs(run(RunStatus.FAILED,
                "2026-11-01T00:00:00Z", "2026-11-01T02:00:00.001Z", FailureReason.TIMEOUT)));
    }

    @Test
    void stuckAndNeverStartedRunsAndMissingCompletionsBillNothing() {
        assertNull(rules.intervalOf(run(RunStatus.FAILED, "2026-11-20T09:00:00Z", "2026-11-20T11:17:00Z",
                FailureReason.STUCK)));
        assertNull(rules.intervalOf(run(RunStatus.FAILED, "2026-11-20T09:00:00Z", "2026-11-20T09:00:01Z",
                FailureReason.START_FAILED)));
        assertNull(rules.intervalOf(run(RunStatus.COMPLETED, "2026-11-20T09:00:00Z", null, null)));
        assertNull(rules.intervalOf(run(RunStatus.STOPPED, "2026-11-20T09:00:00Z", null, null)));
    }

    @Test
    void aCompletionBeforeTheStartBillsNothing() {
        assertNull(rules.intervalOf(run(RunStatus.COMPLETED, "2026-11-20T09:00:00Z", "2026-11-20T08:59:59.999Z",
                null)));
        assertEquals(0, rules.billedMs(run(RunStatus.COMPLETED, "2026-11-20T09:00:00Z", "2026-11-20T09:00:00Z",
                null)));
    }

    @Test
    void aRunningRunBillsUpToNowButNoMoreThanTheCap() {
        Interval young = rules.intervalOf(run(RunStatus.RUNNING, "2026-11-20T11:50:00Z", null, null));
        assertEquals(Kind.IN_FLIGHT, young.kind());
        assertEquals(10 * MINUTE, young.ms());
        assertEquals(30 * MINUTE, rules.billedMs(run(RunStatus.RUNNING, "2026-11-20T10:01:00Z", null, null)));
        assertEquals(30 * MINUTE, rules.billedMs(run(RunStatus.RUNNING, "2026-11-20T10:00:00Z", null, null)),
                "exactly max-duration old is still inside the box");
    }

    @Test
    void overdueAndFutureRunningRunsBillNothing() {
        assertNull(rules.intervalOf(run(RunStatus.RUNNING, "2026-11-20T09:59:59.999Z", null, null)));
        assertNull(rules.intervalOf(run(RunStatus.RUNNING, "2026-11-20T12:00:00.001Z", null, null)));
        assertEquals(0, rules.billedMs(run(RunStatus.RUNNING, "2026-11-20T12:00:00Z", null, null)));
    }

    @Test
    void subMillisecondPrecisionIsTruncatedOnBothEnds() {
        assertEquals(1, rules.billedMs(run(RunStatus.COMPLETED, "2026-11-20T09:00:00.000999Z",
                "2026-11-20T09:00:00.001000Z", null)));
        assertEquals(0, rules.billedMs(run(RunStatus.COMPLETED, "2026-11-20T09:00:00.000001Z",
                "2026-11-20T09:00:00.000999Z", null)));
    }

    @Test
    void anIntervalIsClippedToTheMonth() {
        Interval interval = rules.intervalOf(run(RunStatus.COMPLETED, "2026-10-31T23:30:00Z",
                "2026-11-01T00:20:00Z", null));
        assertEquals(30 * MINUTE, interval.msWithin(BillingMonth.of(YearMonth.of(2026, 10), ZoneOffset.UTC)));
        assertEquals(20 * MINUTE, interval.msWithin(BillingMonth.of(YearMonth.of(2026, 11), ZoneOffset.UTC)));
        assertEquals(0, interval.msWithin(BillingMonth.of(YearMonth.of(2026, 12), ZoneOffset.UTC)));
    }

    @Test
    void minutesRoundHalfUpToTwoDecimals() {
        assertEquals("0.01", BillingRules.minutes(300).toPlainString());
        assertEquals("0.00", BillingRules.minutes(299).toPlainString());
        assertEquals("125.00", BillingRules.minutes(125 * MINUTE).toPlainString());
        assertEquals("1.02", BillingRules.minutes(61_000).toPlainString());
    }

    @Test
    void billingMonthsFollowTheZonesCalendarAcrossDaylightSavingChanges() {
        ZoneId newYork = ZoneId.of("America/New_York");
        BillingMonth november = BillingMonth.of(YearMonth.of(2026, 11), newYork);
        assertEquals(Instant.parse("2026-11-01T04:00:00Z"), november.start()); // EDT, UTC-4
        assertEquals(Instant.parse("2026-12-01T05:00:00Z"), november.end()); // EST, UTC-5
        assertEquals(Duration.ofDays(30).plusHours(1), Duration.between(november.start(), november.end()));

        BillingMonth february = BillingMonth.parse("2028-02", ZoneOffset.UTC);
        assertEquals(Duration.ofDays(29), Duration.between(february.start(), february.end()));
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), BillingMonth.parse("2025-12", ZoneOffset.UTC).end());
    }

    @Test
    void theCurrentMonthIsTheZonesMonthAtThisInstant() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T03:00:00Z"), ZoneOffset.UTC);
        assertEquals("2026-12", BillingMonth.current(clock, ZoneOffset.UTC).toString());
        assertEquals("2026-11", BillingMonth.current(clock, ZoneId.of("America/New_York")).toString());
    }

    @Test
    void monthsMustBeStrictYearDashMonth() {
        for (String text : new String[] { "2026-13", "26-11", "2026-1", "2026-00", "", " 2026-11", "2026/11",
                "1969-12", "+2026-11", "2026-11-01" }) {
            assertThrows(IllegalArgumentException.class, () -> BillingMonth.parse(text, ZoneOffset.UTC), text);
        }
        assertThrows(IllegalArgumentException.class, () -> BillingMonth.parse(null, ZoneOffset.UTC));
    }
}
