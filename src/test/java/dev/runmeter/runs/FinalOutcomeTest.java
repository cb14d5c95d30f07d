package dev.runmeter.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** How Step Functions' errors become terminal states, as plain code. */
class FinalOutcomeTest {

    private static final Duration TWO_HOURS = Duration.ofHours(2);
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    @Test
    void theTimeoutMessageFollowsTheTimeBox() {
        assertEquals("Agent run exceeded 2.0 hour timeout", FinalOutcome.timedOut(TWO_HOURS).error());
        assertEquals("Agent run exceeded 1.5 hour timeout", FinalOutcome.timedOut(Duration.ofMinutes(90)).error());
        assertEquals("Agent run exceeded 0.25 hour timeout", FinalOutcome.timedOut(Duration.ofMinutes(15)).error());
        assertEquals("Agent run exceeded 0.03 hour timeout", FinalOutcome.timedOut(Duration.ofMinutes(2)).error());
        assertEquals("Agent run exceeded 12.0 hour timeout", FinalOutcome.timedOut(Duration.ofHours(12)).error());
    }

    @Test
    void stepFunctionsErrorsMapToFailureReasons() {
        assertEquals(FailureReason.TIMEOUT, FinalOutcome.failed("States.Timeout", "x", TWO_HOURS, TEN_MINUTES).reason());
        assertEquals(FailureReason.HEARTBEAT_TIMEOUT,
                FinalOutcome.failed("States.HeartbeatTimeout", null, TWO_HOURS, TEN_MINUTES).reason());
        FinalOutcome other = FinalOutcome.failed("AgentCrashed", "tool loop", TWO_HOURS, TEN_MINUTES);
        assertEquals(FailureReason.ERROR, other.reason());
        assertEquals("AgentCrashed: tool loop", other.error());
        assertEquals("Agent run failed", FinalOutcome.failed(null, " ", TWO_HOURS, TEN_MINUTES).error());
        assertEquals(4000, FinalOutcome.failed("E", "c".repeat(10_000), TWO_HOURS, TEN_MINUTES).error().length());
    }

    @Test
    void labelsNameTheReasonOfFailures() {
        assertEquals("failed_stuck", FinalOutcome.stuck("x").label());
        assertEquals("stuck", FinalOutcome.stuck("x").metricOutcome());
        assertEquals("completed", FinalOutcome.completed().label());
        assertEquals("stopped", FinalOutcome.stopped().metricOutcome());
    }
}
