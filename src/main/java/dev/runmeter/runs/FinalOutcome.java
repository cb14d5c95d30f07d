package dev.runmeter.runs;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/** A run's terminal state: its status, and for failed runs the reason and a text for people. */
public record FinalOutcome(RunStatus status, FailureReason reason, String error) {

    public static final String TIMEOUT_ERROR = "States.Timeout";
    public static final String HEARTBEAT_TIMEOUT_ERROR = "States.HeartbeatTimeout";
    /** Error texts are for people; a worker's cause may be a whole stack trace. */
    static final int MAX_ERROR_LENGTH = 4000;

    public static FinalOutcome completed() {
        return new FinalOutcome(RunStatus.COMPLETED, null, null);
    }

    public static FinalOutcome stopped() {
        return new FinalOutcome(RunStatus.STOPPED, null, null);
    }

    /** The execution could not be started: bills nothing. */
    public static FinalOutcome startFailed(String why) {
        return new FinalOutcome(RunStatus.FAILED, FailureReason.START_FAILED, why);
    }

    /** Nothing is known to have run: bills nothing. */
    public static FinalOutcome stuck(String why) {
        return new FinalOutcome(RunStatus.FAILED, FailureReason.STUCK, why);
    }

    /**
     * A failure named by Step Functions' error: the time box ({@code States.Timeout}), a missed heartbeat
     * ({@code States.HeartbeatTimeout}), or any other error, kept with its cause.
     */
    public static FinalOutcome failed(String error, String cause, Duration maxDuration, Duration heartbeatTimeout) {
        if (TIMEOUT_ERROR.equals(error)) {
            return timedOut(maxDuration);
        }
        if (HEARTBEAT_TIMEOUT_ERROR.equals(error)) {
            return new FinalOutcome(RunStatus.FAILED, FailureReason.HEARTBEAT_TIMEOUT,
                    "Agent worker sent no heartbeat for " + heartbeatTimeout.toSeconds() + " seconds");
        }
        String text = error == null || error.isBlank() ? "Agent run failed" : error;
        if (cause != null && !cause.isBlank()) {
            text += ": " + cause;
        }
        return new FinalOutcome(RunStatus.FAILED, FailureReason.ERROR, storable(text));
    }

    /**
     * The text as PostgreSQL can store it: at most MAX_ERROR_LENGTH characters, not cut inside a surrogate pair,
     * NUL (which text columns refuse) replaced. A worker's crash report must not make its run unrecordable.
     */
    static String storable(String text) {
        String cut = text;
        if (cut.length() > MAX_ERROR_LENGTH) {
            int end = Character.isHighSurrogate(cut.charAt(MAX_ERROR_LENGTH - 1)) ? MAX_ERROR_LENGTH - 1
                    : MAX_ERROR_LENGTH;
            cut = cut.substring(0, end);
        }
        return cut.replace('\u0000', '\uFFFD');
    }

    public static FinalOutcome timedOut(Duration maxDuration) {
        return new FinalOutcome(RunStatus.FAILED, FailureReason.TIMEOUT,
                "Agent run exceeded " + hours(maxDuration) + " hour timeout");
    }

    /** Hours as the original product wrote them: 2.0, 1.5, 0.25 (at most two decimals). */
    static String hours(Duration duration) {
        BigDecimal hours = BigDecimal.valueOf(duration.toMillis())
                .divide(BigDecimal.valueOf(3_600_000), 2, RoundingMode.HALF_UP).stripTrailingZeros();
        return (hours.scale() < 1 ? hours.setScale(1) : hours).toPlainString();
    }

    /** The outcome's name in reports: the status, with the reason for failures. */
    public String label() {
        return reason == null ? status.dbValue() : status.dbValue() + "_" + reason.dbValue();
    }

    /** The {@code Outcome} dimension of the RunsFinished metric: the reason for failures, else the status. */
    public String metricOutcome() {
        return reason == null ? status.dbValue() : reason.dbValue();
    }
}
