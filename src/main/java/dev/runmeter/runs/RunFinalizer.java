package dev.runmeter.runs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.db.Database;
import dev.runmeter.lambda.InvalidEventException;
import dev.runmeter.logging.RunLogContext;
import dev.runmeter.metrics.Metrics;

/**
 * Records how a run ended. Step Functions and Lambda both deliver at least once, so the first terminal state wins:
 * a later finalization returns the run as it is and changes nothing.
 */
@ApplicationScoped
public class RunFinalizer {

    private static final Logger LOG = Logger.getLogger(RunFinalizer.class);
    private final Database database;
    private final RunStore runs;
    private final Clock clock;
    private final Duration maxDuration;
    private final Duration heartbeatTimeout;
    private final RunDocuments documents;
    private final Metrics metrics;

    public RunFinalizer(Database database, RunStore runs, Clock clock, Metrics metrics, RunDocuments documents,
            RunmeterConfig config) {
        this.database = database;
        this.runs = runs;
        this.clock = clock;
        this.metrics = metrics;
        this.documents = documents;
        this.maxDuration = config.runs().maxDuration();
        this.heartbeatTimeout = config.runs().heartbeatTimeout();
    }

    public RunDocument finalize(Finalization finalization) {
        Instant completedAt = finalization.completedAt() == null ? clock.instant()
                : finalization.completedAt().toInstant();
        FinalOutcome outcome = outcome(finalization);
        RunLogContext.run(finalization.runId(), null);
        AgentRun run = database.read(connection -> {
            AgentRun current = runs.find(connection, finalization.runId())
                    .orElseThrow(() -> new RunNotFoundException("No agent run " + finalization.runId()));
            RunLogContext.user(current.userId());
            if (current.status() != RunStatus.RUNNING) {
                LOG.infof("Agent run %s of user %s is already %s; finalization ignored", current.id(),
                        current.userId(), current.status().dbValue());
                return current;
            }
            if (completedAt.isBefore(current.startedAt())) {
                throw new InvalidEventException("completedAt " + completedAt + " is before the run started at "
                        + current.startedAt());
            }
            var finished = runs.finish(connection, current.id(), outcome, completedAt);
            if (finished.isEmpty()) { // another outcome was recorded between the read and the update: it stands
                return runs.find(connection, current.id()).orElseThrow();
            }
            LOG.infof("Agent run %s of user %s finished: %s", current.id(), current.userId(), outcome.label());
            metrics.count("RunsFinished", 1, Map.of("Outcome", outcome.metricOutcome()));
            return finished.get();
        });
        return documents.of(run);
    }

    /** The terminal state for a finalization (contract section 5). */
    FinalOutcome outcome(Finalization finalization) {
        return finalization.succeeded() ? FinalOutcome.completed()
                : FinalOutcome.failed(finalization.error(), finalization.cause(), maxDuration, heartbeatTimeout);
    }
}
