package dev.runmeter.runs;

/** A request about a run that runmeter declines, with the reason the caller is told. */
public class RunRefusedException extends RuntimeException {

    public enum Reason {
        USAGE_LIMIT_EXCEEDED, TOO_MANY_ACTIVE_RUNS, RUN_NOT_FOUND, RUN_NOT_RUNNING, ORCHESTRATOR_UNAVAILABLE
    }

    private final Reason reason;

    public RunRefusedException(Reason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // an answer, not a fault
    }
}
