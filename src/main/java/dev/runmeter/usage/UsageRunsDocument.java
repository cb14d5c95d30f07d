package dev.runmeter.usage;

import java.math.BigDecimal;
import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** {@code GET /v1/usage/runs}: one page of the runs that started or bill in a month. */
@RegisterForReflection
public record UsageRunsDocument(String month, List<Run> runs, String nextCursor) {

    @RegisterForReflection
    public record Run(String runId, String status, String startedAt, String completedAt, String failureReason,
            long billedMs, BigDecimal billedMinutes) {
    }
}
