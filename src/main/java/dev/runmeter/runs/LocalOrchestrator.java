package dev.runmeter.runs;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.runmeter.config.RunmeterConfig;
import io.quarkus.arc.profile.IfBuildProfile;

/**
 * Dev mode's stand-in for Step Functions: enforces the same time box in process and reports the timeout through the
 * same finalizer code the state machine invokes. There is no agent worker locally, so a run ends when it is
 * stopped or when its time box runs out (shorten it with RUNMETER_RUNS_MAX_DURATION to watch one time out).
 * Production never has this bean.
 */
@ApplicationScoped
@IfBuildProfile("dev")
public class LocalOrchestrator implements Orchestrator {

    private static final Logger LOG = Logger.getLogger(LocalOrchestrator.class);

    private final RunFinalizer finalizer;
    private final Duration maxDuration;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "local-orchestrator");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<UUID, ScheduledFuture<?>> timeBoxes = new ConcurrentHashMap<>();

    public LocalOrchestrator(RunFinalizer finalizer, RunmeterConfig config) {
        this.finalizer = finalizer;
        this.maxDuration = config.runs().maxDuration();
    }

    @Override
    public String start(AgentRun run, String executionInput) {
        timeBoxes.put(run.id(), timer.schedule(() -> timeOut(run.id()), maxDuration.toMillis(), TimeUnit.MILLISECONDS));
        LOG.infof("Local orchestrator: agent run %s will time out after %s unless stopped", run.id(), maxDuration);
        return "arn:aws:states:local:000000000000:execution:runmeter-agent-run:" + run.id();
    }

    @Override
    public void stop(AgentRun run, String cause) {
        ScheduledFuture<?> timeBox = timeBoxes.remove(run.id());
        if (timeBox != null) {
            timeBox.cancel(false);
        }
    }

    @Override
    public Optional<Execution> describe(AgentRun run) {
        // a run this process does not time-box has no execution: a restart of dev mode forgets them all
        return timeBoxes.containsKey(run.id()) ? Optional.of(new Execution("RUNNING", null, null, null))
                : Optional.empty();
    }

    private void timeOut(UUID runId) {
        timeBoxes.remove(runId);
        try {
            finalizer.finalize(new Finalization(runId, false, FinalOutcome.TIMEOUT_ERROR,
                    "The local orchestrator's time box ran out", null));
        } catch (RuntimeException e) {
            LOG.errorf(e, "Local orchestrator could not finalize agent run %s", runId);
        }
    }

    @PreDestroy
    void shutdown() {
        timer.shutdownNow();
    }
}
