package dev.runmeter.usage;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.jboss.logging.Logger;

import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.RunStatus;

/**
 * The contract's billing rules for one run. UsageStore applies the same rules in SQL to a whole month in one
 * query; BillingRulesAgreementTest keeps the two in step.
 *
 * <p>All arithmetic is on instants truncated to the millisecond, never on local time, so results depend neither on
 * the JVM's default zone nor on the database session's.
 */
public final class BillingRules {

    private static final Logger LOG = Logger.getLogger(BillingRules.class);
    private static final long MS_PER_MINUTE = 60_000;

    private final Duration maxDuration;
    private final Duration activeRunCap;
    private final Clock clock;

    public BillingRules(Duration maxDuration, Duration activeRunCap, Clock clock) {
        this.maxDuration = maxDuration;
        this.activeRunCap = activeRunCap;
        this.clock = clock;
    }

    /** Whether a run's interval counts as used (finished) or in flight (still running). */
    public enum Kind {
        USED, IN_FLIGHT
    }

    /** The billable interval {@code [start, end)} of a run; a run that bills nothing has none. */
    public record Interval(Kind kind, Instant start, Instant end) {
        public long ms() {
            return end.toEpochMilli() - start.toEpochMilli();
        }

        public long msWithin(BillingMonth month) {
            long from = Math.max(start.toEpochMilli(), month.start().toEpochMilli());
            long to = Math.min(end.toEpochMilli(), month.end().toEpochMilli());
            return Math.max(0, to - from);
        }
    }

    /** The run's billable interval at this clock's now, or null when it bills nothing (rules 2 and 4). */
    public Interval intervalOf(AgentRun run) {
        Instant start = millis(run.startedAt());
        if (run.status() == RunStatus.RUNNING) {
            Instant now = millis(clock.instant());
            boolean inFlight = !start.isAfter(now) && Duration.between(start, now).compareTo(maxDuration) <= 0;
            return inFlight ? new Interval(Kind.IN_FLIGHT, start, min(now, start.plus(activeRunCap))) : null;
        }
        if (run.failureReason() != null && run.failureReason().billsNothing() || run.completedAt() == null) {
            return null;
        }
        Instant completed = millis(run.completedAt());
        if (completed.isBefore(start)) {
            LOG.warnf("Skipping agent run %s with suspicious duration", run.id());
            return null;
        }
        return new Interval(Kind.USED, start, min(completed, start.plus(maxDuration)));
    }

    /** The whole billable interval's length in milliseconds, 0 when the run bills nothing. */
    public long billedMs(AgentRun run) {
        Interval interval = intervalOf(run);
        return interval == null ? 0 : interval.ms();
    }

    /** Milliseconds as minutes, rounded half-up to 2 decimals. */
    public static BigDecimal minutes(long ms) {
        return BigDecimal.valueOf(ms).divide(BigDecimal.valueOf(MS_PER_MINUTE), 2, RoundingMode.HALF_UP);
    }

    private static Instant millis(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
