package dev.runmeter.sweep;

import java.util.Map;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What one sweep did (or, in a dry run, would do): {@code found} overdue runs it examined, {@code fixed} runs it
 * settled, {@code deferred} runs left for the next sweep because Step Functions could not answer.
 */
@RegisterForReflection
public record SweepReport(String mode, boolean dryRun, long found, long fixed, long deferred,
        Map<String, Long> byOutcome, Stats stats) {

    /** Health figures; running runs by age: under 1 h, 1 h up to the time box, past it but in grace, overdue. */
    @RegisterForReflection
    public record Stats(Map<String, Long> byStatus, Map<String, Long> runningByAge, long runningOverOneHour,
            OldestRunning oldestRunning) {
    }

    @RegisterForReflection
    public record OldestRunning(String runId, String startedAt, long ageMinutes) {
    }
}
