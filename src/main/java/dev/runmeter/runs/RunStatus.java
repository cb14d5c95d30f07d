package dev.runmeter.runs;

import java.util.Locale;

/** The {@code agent_runs.status} values. */
public enum RunStatus {
    RUNNING, COMPLETED, FAILED, STOPPED;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
