package dev.runmeter.sweep;

import java.time.Clock;
import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import dev.runmeter.config.RunmeterConfig;
import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.scheduler.Scheduled;

/**
 * The local main job's stand-in for the EventBridge schedule: the same sweep, every
 * {@code runmeter.sweep.local-every}. Only dev mode has it; in AWS the scheduler is off and EventBridge invokes the
 * sweep function.
 */
@ApplicationScoped
@IfBuildProfile("dev")
public class LocalSweepSchedule {

    private final Sweeper sweeper;
    private final Clock clock;
    private final Duration timeBudget;

    public LocalSweepSchedule(Sweeper sweeper, Clock clock, RunmeterConfig config) {
        this.sweeper = sweeper;
        this.clock = clock;
        this.timeBudget = config.sweep().timeBudget();
    }

    @Scheduled(every = "${runmeter.sweep.local-every}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        sweeper.sweep(new SweepRequest(SweepRequest.Mode.ALL, false), clock.instant().plus(timeBudget));
    }
}
