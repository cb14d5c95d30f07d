package dev.runmeter.sweep;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.FinalOutcome;
import dev.runmeter.runs.Orchestrator.Execution;

/** What the sweep does with an overdue run, given what Step Functions knows of its execution. */
public final class Reconciliation {

    private final Duration maxDuration;
    private final Duration heartbeatTimeout;

    public Reconciliation(Duration maxDuration, Duration heartbeatTimeout) {
        this.maxDuration = maxDuration;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    /**
     * @param stopExecution the execution is still running past its time box and must be stopped first
     * @param executionStatus the status the decision was taken from, null when there is no execution
     */
    public record Decision(FinalOutcome outcome, Instant completedAt, boolean stopExecution, String executionStatus) {
    }

    /** The decision for the run, or empty when the execution's state is one this version does not know. */
    public Optional<Decision> decide(AgentRun run, Optional<Execution> execution, Instant now) {
        if (execution.isEmpty()) {
            return Optional.of(new Decision(FinalOutcome.stuck("No execution found for the run"), now, false, null));
        }
        Execution found = execution.get();
        // a stop time before the start (clock skew between systems) must not make the run bill nothing
        Instant stoppedAt = found.stopDate() == null ? now
                : found.stopDate().isBefore(run.startedAt()) ? run.startedAt() : found.stopDate();
        FinalOutcome outcome = switch (found.status()) {
            case "RUNNING" -> FinalOutcome.stuck("The execution was still running past its time box; "
                    + "the sweep stopped it");
            case "SUCCEEDED" -> FinalOutcome.completed();
            case "FAILED", "PENDING_REDRIVE" -> FinalOutcome.failed(found.error(), found.cause(), maxDuration,
                    heartbeatTimeout);
            case "TIMED_OUT" -> FinalOutcome.timedOut(maxDuration);
            case "ABORTED" -> FinalOutcome.stopped();
            default -> null;
        };
        if (outcome == null) {
            return Optional.empty();
        }
        boolean running = found.status().equals("RUNNING");
        return Optional.of(new Decision(outcome, running ? now : stoppedAt, running, found.status()));
    }
}
