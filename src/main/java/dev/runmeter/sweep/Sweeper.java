package dev.runmeter.sweep;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.db.Database;
import dev.runmeter.logging.RunLogContext;
import dev.runmeter.metrics.Metrics;
import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.Orchestrator;
import dev.runmeter.runs.Orchestrator.Execution;
import dev.runmeter.runs.RunStore;
import dev.runmeter.sweep.Reconciliation.Decision;
import dev.runmeter.sweep.SweepStore.Position;
import dev.runmeter.sweep.SweepStore.Stats;

/**
 * Settles runs whose record still says running long after their time box (overdue: older than max-duration +
 * grace). Runs inside their box are never touched. Each batch is claimed in one transaction with
 * {@code FOR UPDATE SKIP LOCKED}, so overlapping sweeps settle each run once, and every change is a
 * compare-and-set on {@code status = 'running'}, so a finalization that commits first wins.
 */
@ApplicationScoped
public class Sweeper {

    private static final Logger LOG = Logger.getLogger(Sweeper.class);

    private final Database database;
    private final SweepStore store;
    private final RunStore runs;
    private final Orchestrator orchestrator;
    private final Metrics metrics;
    private final Clock clock;
    private final Reconciliation reconciliation;
    private final Duration maxDuration;
    private final Duration overdueAfter;
    private final int batchSize;
    private final ExecutorService describers;

    public Sweeper(Database database, SweepStore store, RunStore runs, Orchestrator orchestrator, Metrics metrics,
            Clock clock, RunmeterConfig config) {
        this.database = database;
        this.store = store;
        this.runs = runs;
        this.orchestrator = orchestrator;
        this.metrics = metrics;
        this.clock = clock;
        this.maxDuration = config.runs().maxDuration();
        this.overdueAfter = maxDuration.plus(config.sweep().grace());
        this.batchSize = config.sweep().batchSize();
        this.describers = Executors.newFixedThreadPool(config.sweep().describeConcurrency(), task -> {
            Thread thread = new Thread(task, "sweep-describe");
            thread.setDaemon(true);
            return thread;
        });
        this.reconciliation = new Reconciliation(maxDuration, config.runs().heartbeatTimeout());
    }

    /** Counts as one sweep goes. */
    private static final class Tally {
        long found;
        long fixed;
        long deferred;
        final Map<String, Long> byOutcome = new TreeMap<>();
    }

    /** @param stopBy when to stop starting new batches (the invocation's time budget) */
    public SweepReport sweep(SweepRequest request, Instant stopBy) {
        Instant now = clock.instant();
        Tally tally = new Tally();
        if (request.mode().fixes()) {
            fix(now, request.dryRun(), stopBy, tally);
        }
        SweepReport.Stats stats = request.mode().reportsStats() ? stats(now) : null;
        LOG.infof("Sweep (%s%s) found %d overdue runs, fixed %d, deferred %d: %s", request.mode().label(),
                request.dryRun() ? ", dry run" : "", tally.found, tally.fixed, tally.deferred, tally.byOutcome);
        if (!request.dryRun()) {
            tally.byOutcome.forEach((outcome, count) -> metrics.count("SweepSettled", count, Map.of("Outcome", outcome)));
            metrics.count("StuckRunsFound", tally.found);
            metrics.count("SweepDeferred", tally.deferred);
        }
        if (stats != null) {
            metrics.count("RunningOverOneHour", stats.runningOverOneHour());
        }
        return new SweepReport(request.mode().label(), request.dryRun(), tally.found, tally.fixed, tally.deferred,
                tally.byOutcome, stats);
    }

    private void fix(Instant now, boolean dryRun, Instant stopBy, Tally tally) {
        Instant overdueBefore = now.minus(overdueAfter);
        Position after = null;
        while (true) {
            Position from = after;
            List<AgentRun> batch = dryRun
                    ? database.read(connection -> store.overdue(connection, overdueBefore, from, batchSize, false))
                    : database.inTransaction(connection -> {
                        List<AgentRun> claimed = store.overdue(connection, overdueBefore, from, batchSize, true);
                        List<Described> described = new ArrayList<>(describeAll(claimed));
                        // Each settlement updates the usage roll-up rows of its user's days (a trigger). Taking them
                        // in one global order keeps overlapping sweeps from deadlocking on those rows.
                        described.sort(Comparator.comparing((Described d) -> d.run().userId())
                                .thenComparing(d -> d.run().startedAt()));
                        for (Described each : described) {
                            settle(connection, each, now, tally);
                        }
                        return claimed;
                    });
            if (dryRun) {
                describeAll(batch).forEach(described -> preview(described, now, tally));
            }
            if (batch.size() < batchSize) {
                return;
            }
            AgentRun last = batch.get(batch.size() - 1);
            after = new Position(last.startedAt(), last.id());
            if (!clock.instant().isBefore(stopBy)) {
                LOG.warnf("Sweep stopped at its time budget; the rest waits for the next sweep");
                return;
            }
        }
    }

    /**
     * What Step Functions knows of a run's execution, or why it could not say.
     *
     * @param unavailable non-null when Step Functions did not answer (throttling, 5xx, network)
     */
    private record Described(AgentRun run, Optional<Execution> execution, Orchestrator.UnavailableException unavailable) {
    }

    /**
     * Asks Step Functions about a batch's executions, several at a time: one DescribeExecution per run is nearly
     * all of a sweep's cost. The answers keep the batch's order.
     */
    private List<Described> describeAll(List<AgentRun> batch) {
        List<Future<Described>> answers = new ArrayList<>(batch.size());
        for (AgentRun run : batch) {
            answers.add(describers.submit(() -> {
                try {
                    return new Described(run, orchestrator.describe(run), null);
                } catch (Orchestrator.UnavailableException e) {
                    return new Described(run, Optional.empty(), e);
                }
            }));
        }
        List<Described> described = new ArrayList<>(batch.size());
        for (Future<Described> answer : answers) {
            try {
                described.add(answer.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while describing executions", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("Describing an execution failed", e.getCause());
            }
        }
        return described;
    }

    @PreDestroy
    void shutdown() {
        describers.shutdownNow();
    }

    private void settle(java.sql.Connection connection, Described described, Instant now, Tally tally)
            throws java.sql.SQLException {
        RunLogContext.run(described.run().id(), described.run().userId());
        try {
            settleInContext(connection, described, now, tally);
        } finally {
            RunLogContext.clear();
        }
    }

    private void settleInContext(java.sql.Connection connection, Described described, Instant now, Tally tally)
            throws java.sql.SQLException {
        AgentRun run = described.run();
        tally.found++;
        LOG.infof("Found stuck agent run %s that started %d minutes ago", run.id(),
                Duration.between(run.startedAt(), now).toMinutes());
        Optional<Decision> decision;
        try {
            if (described.unavailable() != null) {
                throw described.unavailable();
            }
            decision = reconciliation.decide(run, described.execution(), now);
            if (decision.isPresent() && decision.get().stopExecution()) {
                orchestrator.stop(run, "Still running past its time box; stopped by the runmeter sweep");
            }
        } catch (Orchestrator.UnavailableException e) {
            LOG.warnf("Deferring agent run %s to the next sweep: %s", run.id(), e.getMessage());
            tally.deferred++;
            return;
        }
        if (decision.isEmpty()) {
            LOG.warnf("Deferring agent run %s: its execution is in a state this sweep does not know", run.id());
            tally.deferred++;
            return;
        }
        Decision settled = decision.get();
        if (runs.finish(connection, run.id(), settled.outcome(), settled.completedAt()).isPresent()) {
            tally.fixed++;
            tally.byOutcome.merge(settled.outcome().label(), 1L, Long::sum);
            LOG.infof("Agent run %s reconciled from execution status %s: %s", run.id(),
                    settled.executionStatus() == null ? "NONE" : settled.executionStatus(), settled.outcome().label());
        }
    }

    private void preview(Described described, Instant now, Tally tally) {
        tally.found++;
        Optional<Decision> decision = described.unavailable() != null ? Optional.empty()
                : reconciliation.decide(described.run(), described.execution(), now);
        if (decision.isPresent()) {
            tally.fixed++;
            tally.byOutcome.merge(decision.get().outcome().label(), 1L, Long::sum);
        } else {
            tally.deferred++;
        }
    }

    private SweepReport.Stats stats(Instant now) {
        Instant oneHourAgo = now.minus(Duration.ofHours(1));
        Stats stats = database.read(connection ->
                store.stats(connection, oneHourAgo, now.minus(maxDuration), now.minus(overdueAfter)));
        Map<String, Long> byStatus = new TreeMap<>(Map.of("running", stats.running(), "completed", stats.completed(),
                "failed", stats.failed(), "stopped", stats.stopped()));
        Map<String, Long> byAge = new TreeMap<>(Map.of("underOneHour", stats.underOneHour(),
                "oneToTwoHours", stats.oneToTwoHours(), "awaitingFinalizer", stats.awaitingFinalizer(),
                "overdue", stats.overdue()));
        SweepReport.OldestRunning oldest = stats.oldestRunningId() == null ? null
                : new SweepReport.OldestRunning(stats.oldestRunningId().toString(),
                        stats.oldestRunningStart().toString(),
                        Duration.between(stats.oldestRunningStart(), now).toMinutes());
        return new SweepReport.Stats(byStatus, byAge, stats.running() - stats.underOneHour(), oldest);
    }
}
