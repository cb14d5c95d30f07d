package dev.runmeter.runs;

import static dev.runmeter.runs.RunRefusedException.Reason.ORCHESTRATOR_UNAVAILABLE;
import static dev.runmeter.runs.RunRefusedException.Reason.RUN_NOT_FOUND;
import static dev.runmeter.runs.RunRefusedException.Reason.RUN_NOT_RUNNING;
import static dev.runmeter.runs.RunRefusedException.Reason.TOO_MANY_ACTIVE_RUNS;
import static dev.runmeter.runs.RunRefusedException.Reason.USAGE_LIMIT_EXCEEDED;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.db.Database;
import dev.runmeter.db.DatabaseException;
import dev.runmeter.lambda.Events;
import dev.runmeter.logging.RunLogContext;
import dev.runmeter.metrics.Metrics;
import dev.runmeter.usage.BillingMonth;
import dev.runmeter.usage.UsageStore;
import dev.runmeter.usage.UsageStore.MonthTotals;

/** Starting, reading and stopping a user's time-boxed agent runs. */
@ApplicationScoped
public class RunService {

    private static final Logger LOG = Logger.getLogger(RunService.class);
    /** Step Functions' limit on an execution's input. */
    static final int MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

    private final Database database;
    private final RunStore runs;
    private final UsageStore usage;
    private final Orchestrator orchestrator;
    private final Clock clock;
    private final Metrics metrics;
    private final RunDocuments documents;
    private final Duration maxDuration;
    private final ZoneId billingZone;

    public RunService(Database database, RunStore runs, UsageStore usage, Orchestrator orchestrator, Clock clock,
            Metrics metrics, RunDocuments documents, RunmeterConfig config) {
        this.database = database;
        this.runs = runs;
        this.usage = usage;
        this.orchestrator = orchestrator;
        this.clock = clock;
        this.metrics = metrics;
        this.documents = documents;
        this.maxDuration = config.runs().maxDuration();
        this.billingZone = config.billing().zone();
    }

    /** A started run, or the run an earlier start with the same idempotency key made. */
    public record Started(RunDocument run, boolean replay) {
    }

    /** The execution's input would be larger than Step Functions accepts. */
    public static class InputTooLargeException extends RuntimeException {
        InputTooLargeException(String message) {
            super(message);
        }
    }

    /**
     * Starts a run: within one transaction serialized per user, checks the plan's minutes and concurrency and
     * records the run; then starts its execution. A run whose execution cannot be started is failed at once
     * ({@code start_failed}, bills nothing), so no run is left running without one.
     */
    public Started start(String userId, String threadId, JsonNode input, String idempotencyKey) {
        // PostgreSQL keeps microseconds: the first answer shows the instant a replay will read back
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        AgentRun run = new AgentRun(UUID.randomUUID(), userId, threadId, RunStatus.RUNNING, now, null, null, null,
                null);
        RunLogContext.run(run.id(), userId);
        String executionInput = executionInput(run, input);

        AgentRun recorded;
        try {
            recorded = record(run, idempotencyKey, now);
        } catch (RunRefusedException refused) {
            metrics.count("RunsRefused", 1, Map.of("Reason", refused.reason().name().toLowerCase(Locale.ROOT)));
            throw refused;
        }
        if (!recorded.id().equals(run.id())) {
            RunLogContext.run(recorded.id(), userId);
            return new Started(document(recorded), true);
        }

        String executionArn;
        try {
            executionArn = orchestrator.start(run, executionInput);
        } catch (Orchestrator.UnavailableException e) {
            LOG.errorf("Could not start the execution of agent run %s of user %s: %s", run.id(), userId,
                    e.getMessage());
            database.read(connection -> runs.finish(connection, run.id(), FinalOutcome.startFailed(
                    "The orchestrator was unavailable; the run never started"), clock.instant()));
            metrics.count("RunsRefused", 1, Map.of("Reason", "orchestrator_unavailable"));
            throw new RunRefusedException(ORCHESTRATOR_UNAVAILABLE,
                    "The run could not be started; retry later");
        }
        try {
            database.read(connection -> {
                runs.setExecutionArn(connection, run.id(), executionArn);
                return null;
            });
        } catch (DatabaseException e) {
            // The run is recorded and its execution started: the start succeeded. A 503 would make the caller start
            // a second run; the ARN follows from the run id wherever it is needed (stop, sweep).
            LOG.warnf("Agent run %s started as %s but its execution ARN could not be recorded: %s", run.id(),
                    executionArn, e.getMessage());
        }
        LOG.infof("Started agent run %s of user %s as %s", run.id(), userId, executionArn);
        metrics.count("RunsStarted", 1);
        return new Started(document(new AgentRun(run.id(), userId, threadId, RunStatus.RUNNING, now, null, null,
                null, executionArn)), false);
    }

    /**
     * In one transaction serialized per user: the run an earlier start with the same key made, or the new run
     * recorded after the plan's minutes and concurrency allowed it.
     */
    private AgentRun record(AgentRun run, String idempotencyKey, Instant now) {
        String userId = run.userId();
        return database.inTransaction(connection -> {
            runs.lockUser(connection, userId);
            if (idempotencyKey != null) {
                var earlier = runs.findByIdempotencyKey(connection, userId, idempotencyKey);
                if (earlier.isPresent()) {
                    return earlier.get();
                }
            }
            MonthTotals month = usage.monthTotals(connection, userId, BillingMonth.current(clock, billingZone), now);
            int limitMinutes = month.plan().monthlyMinutes();
            if (month.usedMs() + month.inFlightMs() >= limitMinutes * 60_000L) {
                throw new RunRefusedException(USAGE_LIMIT_EXCEEDED,
                        "Monthly limit of " + limitMinutes + " minutes reached");
            }
            Integer maxConcurrent = month.plan().maxConcurrentRuns();
            if (maxConcurrent != null && runs.countRunning(connection, userId, now.minus(maxDuration)) >= maxConcurrent) {
                throw new RunRefusedException(TOO_MANY_ACTIVE_RUNS,
                        "The " + month.plan().name() + " plan allows " + maxConcurrent + " active runs at a time");
            }
            runs.insert(connection, run, idempotencyKey);
            return run;
        });
    }

    public RunDocument get(String userId, UUID runId) {
        return document(owned(userId, runId));
    }

    /** Stops the run's execution, then records it stopped now (billed up to now). */
    public RunDocument stop(String userId, UUID runId) {
        AgentRun run = owned(userId, runId);
        if (run.status() != RunStatus.RUNNING) {
            throw notRunning(run);
        }
        try {
            orchestrator.stop(run, "Stopped by user " + userId);
        } catch (Orchestrator.UnavailableException e) {
            LOG.errorf("Could not stop the execution of agent run %s: %s", runId, e.getMessage());
            throw new RunRefusedException(ORCHESTRATOR_UNAVAILABLE, "The run could not be stopped; retry later");
        }
        AgentRun stopped = database.read(connection ->
                runs.finish(connection, runId, FinalOutcome.stopped(), clock.instant()))
                .orElseThrow(() -> notRunning(owned(userId, runId))); // finished meanwhile: that outcome stands
        LOG.infof("Stopped agent run %s of user %s", runId, userId);
        metrics.count("RunsFinished", 1, Map.of("Outcome", FinalOutcome.stopped().metricOutcome()));
        return document(stopped);
    }

    private AgentRun owned(String userId, UUID runId) {
        RunLogContext.run(runId, userId);
        // another user's run answers exactly like a run that does not exist
        return database.read(connection -> runs.find(connection, runId))
                .filter(run -> run.userId().equals(userId))
                .orElseThrow(() -> new RunRefusedException(RUN_NOT_FOUND, "No run " + runId));
    }

    private static RunRefusedException notRunning(AgentRun run) {
        return new RunRefusedException(RUN_NOT_RUNNING, "Run " + run.id() + " is " + run.status().dbValue());
    }

    private RunDocument document(AgentRun run) {
        return documents.of(run);
    }

    private String executionInput(AgentRun run, JsonNode input) {
        ObjectNode document = Events.JSON.createObjectNode();
        document.put("runId", run.id().toString());
        document.put("userId", run.userId());
        document.put("threadId", run.threadId());
        document.set("input", input);
        document.put("deadline", documents.deadline(run).toString());
        try {
            String text = Events.JSON.writeValueAsString(document);
            if (text.getBytes(StandardCharsets.UTF_8).length > MAX_EXECUTION_INPUT_BYTES) {
                throw new InputTooLargeException("The run's input makes the execution input larger than "
                        + MAX_EXECUTION_INPUT_BYTES + " bytes");
            }
            return text;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
