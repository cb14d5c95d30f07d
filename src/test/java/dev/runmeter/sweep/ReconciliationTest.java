package dev.runmeter.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.FailureReason;
import dev.runmeter.runs.Orchestrator.Execution;
import dev.runmeter.runs.RunStatus;
import dev.runmeter.sweep.Reconciliation.Decision;

/** The sweep's decisions as plain code: the execution's real end wins; no execution means stuck. */
class ReconciliationTest {

    private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
    private static final Instant STARTED = Instant.parse("2026-11-20T09:30:00Z");
    private static final Instant STOPPED = Instant.parse("2026-11-20T09:50:00Z");

    private final Reconciliation reconciliation = new Reconciliation(Duration.ofHours(2), Duration.ofMinutes(10));
    private final AgentRun run = new AgentRun(UUID.randomUUID(), "u", null, RunStatus.RUNNING, STARTED, null, null,
            null, null);

    private Decision decide(String status, Instant stopDate, String error) {
        return reconciliation.decide(run, Optional.of(new Execution(status, stopDate, error, "cause")), NOW)
                .orElseThrow();
    }

    @Test
    void finishedExecutionsApplyTheirRealEndAtTheirStopTime() {
        assertEquals(RunStatus.COMPLETED, decide("SUCCEEDED", STOPPED, null).outcome().status());
        assertEquals(STOPPED, decide("SUCCEEDED", STOPPED, null).completedAt());
        assertEquals(FailureReason.ERROR, decide("FAILED", STOPPED, "Boom").outcome().reason());
        assertEquals(FailureReason.TIMEOUT, decide("FAILED", STOPPED, "States.Timeout").outcome().reason());
        assertEquals(FailureReason.TIMEOUT, decide("TIMED_OUT", STOPPED, null).outcome().reason());
        assertEquals(RunStatus.STOPPED, decide("ABORTED", STOPPED, null).outcome().status());
        assertFalse(decide("ABORTED", STOPPED, null).stopExecution());
    }

    @Test
    void anExecutionStillRunningPastItsBoxIsStoppedAndTheRunIsStuck() {
        Decision decision = decide("RUNNING", null, null);
        assertTrue(decision.stopExecution());
        assertEquals(FailureReason.STUCK, decision.outcome().reason());
        assertEquals(NOW, decision.completedAt());
    }

    @Test
    void noExecutionMeansStuck() {
        Decision decision = reconciliation.decide(run, Optional.empty(), NOW).orElseThrow();
        assertEquals(FailureReason.STUCK, decision.outcome().reason());
        assertFalse(decision.stopExecution());
    }

    @Test
    void aStopTimeBeforeTheStartIsTakenAsTheStart() {
        assertEquals(STARTED, decide("SUCCEEDED", STARTED.minusSeconds(5), null).completedAt());
    }

    @Test
    void anUnknownExecutionStatusIsLeftForLater() {
        assertTrue(reconciliation.decide(run, Optional.of(new Execution("SOMETHING_NEW", STOPPED, null, null)), NOW)
                .isEmpty());
    }
}
