package dev.runmeter.usage;

import java.math.BigDecimal;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** {@code GET /v1/usage}: a user's month. */
@RegisterForReflection
public record UsageDocument(
        String userId,
        String month,
        String plan,
        int limitMinutes,
        BigDecimal usedMinutes,
        BigDecimal inFlightMinutes,
        BigDecimal remainingMinutes,
        boolean limitReached,
        long usedMs,
        long inFlightMs,
        RunCounts runs) {

    /** Runs that started in the month, by status. */
    @RegisterForReflection
    public record RunCounts(long running, long completed, long failed, long stopped) {
    }
}
