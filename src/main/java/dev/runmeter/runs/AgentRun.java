package dev.runmeter.runs;

import java.time.Instant;
import java.util.UUID;

/** One row of {@code agent_runs}. */
public record AgentRun(
        UUID id,
        String userId,
        String threadId,
        RunStatus status,
        Instant startedAt,
        Instant completedAt,
        FailureReason failureReason,
        String error,
        String executionArn) {
}
