package dev.runmeter.runs;

import java.time.Duration;
import java.time.Instant;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** A run as the API and the finalizer return it; instants are ISO-8601 in UTC. */
@RegisterForReflection
public record RunDocument(
        String runId,
        String userId,
        String threadId,
        String status,
        String startedAt,
        String deadline,
        String completedAt,
        String failureReason,
        String error,
        long billedMs,
        String executionArn) {

    static RunDocument of(AgentRun run, Duration maxDuration, long billedMs) {
        return new RunDocument(run.id().toString(), run.userId(), run.threadId(), run.status().dbValue(),
                run.startedAt().toString(), run.startedAt().plus(maxDuration).toString(), text(run.completedAt()),
                run.failureReason() == null ? null : run.failureReason().dbValue(), run.error(), billedMs,
                run.executionArn());
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
