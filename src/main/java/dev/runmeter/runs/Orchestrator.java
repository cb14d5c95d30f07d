package dev.runmeter.runs;

import java.time.Instant;
import java.util.Optional;

/**
 * What enforces a run's time box from outside the agent worker: AWS Step Functions in production, an in-process
 * stand-in in dev.
 */
public interface Orchestrator {

    /**
     * Starts the run's execution, named after the run id, so that a retried start of the same run cannot start a
     * second one.
     *
     * @param executionInput the execution input document (JSON)
     * @return the execution's ARN
     */
    String start(AgentRun run, String executionInput);

    /** Stops the run's execution; one that does not exist (any more) needs no stopping. */
    void stop(AgentRun run, String cause);

    /** What the orchestrator knows of the run's execution; empty when it has none. */
    Optional<Execution> describe(AgentRun run);

    /**
     * An execution as Step Functions describes it.
     *
     * @param status RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE
     * @param stopDate null while running
     */
    record Execution(String status, Instant stopDate, String error, String cause) {
    }

    /** The orchestrator could not be reached or refused (throttling, 5xx, network, access denied). */
    class UnavailableException extends RuntimeException {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
