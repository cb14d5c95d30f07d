package dev.runmeter.runs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.db.Database;
import dev.runmeter.lambda.InvalidEventException;
import dev.runmeter.usage.BillingRules;

/**
 * Records how a run ended. Step Functions and Lambda both deliver at least once, so the first terminal state wins:
 * a later finalization returns the run as it is and changes nothing.
 */
@ApplicationScoped
public class RunFinalizer {

    private static final Logger LOG = Logger.getLogger(RunFinalizer.class);
    /** Error texts are for people; a worker's cause may be a whole stack trace. */
    static final int MAX_ERROR_LENGTH = 4000;

    private final Database database;
    private final RunStore runs;
    private final Clock clock;
    private final Duration maxDuration;
    private final Duration heartbeatTimeout;
    private final BillingRules rules;

    public RunFinalizer(Database database, RunStore runs, Clock clock, RunmeterConfig config) {
        this.database = database;
        this.runs = runs;
        this.clock = clock;
        this.maxDuration = config.runs().maxDuration();
        this.heartbeatTimeout = config.runs().heartbeatTimeout();
        this.rules = new BillingRules(maxDuration, config.billing().activeRunCap(), clock);
    }

    /** The run's terminal state for a finalization (contract section 5). */
    record Outcome(RunStatus status, FailureReason reason, String error) {
    }

    public RunDocument finalize(Finalization finalization) {
        Instant completedAt = finalization.completedAt() == null ? clock.instant()
                : finalization.completedAt().toInstant();
        Outcome outcome = outcome(finalization);
        AgentRun run = database.read(connection -> {
            AgentRun current = runs.find(connection, finalization.runId())
                    .orElseThrow(() -> new RunNotFoundException("No agent run " + finalization.runId()));
            if (current.status() != RunStatus.RUNNING) {
                LOG.infof("Agent run %s of user %s is already %s; finalization ignored", current.id(),
                        current.userId(), current.status().dbValue());
                return current;
            }
            if (completedAt.isBefore(current.startedAt())) {
                throw new InvalidEventException("completedAt " + completedAt + " is before the run started at "
                        + current.startedAt());
            }
            var finished = runs.finish(connection, current.id(), outcome.status(), completedAt, outcome.reason(),
                    outcome.error());
            if (finished.isEmpty()) { // another outcome was recorded between the read and the update: it stands
                return runs.find(connection, current.id()).orElseThrow();
            }
            LOG.infof("Agent run %s of user %s finished: %s%s", current.id(), current.userId(),
                    outcome.status().dbValue(), outcome.reason() == null ? "" : " (" + outcome.reason().dbValue() + ")");
            return finished.get();
        });
        return RunDocument.of(run, maxDuration, rules.billedMs(run));
    }

    Outcome outcome(Finalization finalization) {
        if (finalization.succeeded()) {
            return new Outcome(RunStatus.COMPLETED, null, null);
        }
        String error = finalization.error();
        if (Finalization.TIMEOUT_ERROR.equals(error)) {
            return new Outcome(RunStatus.FAILED, FailureReason.TIMEOUT,
                    "Agent run exceeded " + maxDuration.toMillis() / 3_600_000.0 + " hour timeout");
        }
        if (Finalization.HEARTBEAT_TIMEOUT_ERROR.equals(error)) {
            return new Outcome(RunStatus.FAILED, FailureReason.HEARTBEAT_TIMEOUT,
                    "Agent worker sent no heartbeat for " + heartbeatTimeout.toSeconds() + " seconds");
        }
        String text = error == null ? "Agent run failed" : error;
        if (finalization.cause() != null && !finalization.cause().isBlank()) {
            text += ": " + finalization.cause();
        }
        return new Outcome(RunStatus.FAILED, FailureReason.ERROR,
                text.length() > MAX_ERROR_LENGTH ? text.substring(0, MAX_ERROR_LENGTH) : text);
    }
}
