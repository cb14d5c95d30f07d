package dev.runmeter.runs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.usage.BillingRules;

/** Runs as the API and the finalizer return them: with their deadline and what they bill now. */
@ApplicationScoped
public class RunDocuments {

    private final Duration maxDuration;
    private final BillingRules rules;

    public RunDocuments(Clock clock, RunmeterConfig config) {
        this.maxDuration = config.runs().maxDuration();
        this.rules = new BillingRules(maxDuration, config.billing().activeRunCap(), clock);
    }

    /** When the time box of a run that started at that instant runs out. */
    public Instant deadline(AgentRun run) {
        return run.startedAt().plus(maxDuration);
    }

    public RunDocument of(AgentRun run) {
        return new RunDocument(run.id().toString(), run.userId(), run.threadId(), run.status().dbValue(),
                run.startedAt().toString(), deadline(run).toString(), text(run.completedAt()),
                run.failureReason() == null ? null : run.failureReason().dbValue(), run.error(), rules.billedMs(run),
                run.executionArn());
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
