package dev.runmeter.runs;

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
}
