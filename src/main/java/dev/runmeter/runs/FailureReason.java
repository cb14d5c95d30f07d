package dev.runmeter.runs;

import java.util.Locale;

/** The {@code agent_runs.failure_reason} values; only failed runs carry one. */
public enum FailureReason {
    ERROR, TIMEOUT, HEARTBEAT_TIMEOUT, STUCK, START_FAILED;

    /** Runs that failed this way never did billable work (rule 2 of the billing rules). */
    public boolean billsNothing() {
        return this == STUCK || this == START_FAILED;
    }

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FailureReason fromDb(String value) {
        return value == null ? null : valueOf(value.toUpperCase(Locale.ROOT));
    }
}
