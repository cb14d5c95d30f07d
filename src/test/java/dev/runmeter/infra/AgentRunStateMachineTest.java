package dev.runmeter.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.db.DatabaseException;
import dev.runmeter.lambda.InvalidEventException;

/**
 * What asl-validator (infra/check.sh) does not check about infra/statemachine/agent-run.asl.json: the time box,
 * the heartbeat, the backstop, and that every way a run can end reaches the finalizer with the contract's input.
 */
class AgentRunStateMachineTest {

    private static final String FINALIZER_MARKER = "resource:GetAtt RunFinalizerFunction.Arn";
    /** Lambda's own transient faults, and the finalizer's database being unreachable for a moment. */
    private static final Set<String> TRANSIENT_LAMBDA_ERRORS = Set.of(
            "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException", DatabaseException.class.getName());

    private final SamTemplate template = SamTemplate.load();
    private final JsonNode definition = AgentRunDefinition.deployedWithDefaults(template);
    private final JsonNode states = definition.get("States");
    private final JsonNode agentTask = states.get(definition.get("StartAt").asText());

    @Test
    void everyPlaceholderOfTheDefinitionIsATemplateSubstitution() {
        Set<String> substitutions = SamTemplate.map(template.properties(AgentRunDefinition.stateMachineId(template))
                .get("DefinitionSubstitutions")).keySet();
        assertEquals(new TreeSet<>(substitutions), AgentRunDefinition.at(AgentRunDefinition.file(template)).placeholders());
    }

    @Test
    void isAStandardStateMachineInJsonPath() {
        assertEquals("STANDARD", template.properties(AgentRunDefinition.stateMachineId(template)).get("Type"));
        assertEquals("JSONPath", definition.get("QueryLanguage").asText());
    }

    @Test
    void theAgentTaskHandsTheRunToTheWorkerQueueWithACallbackToken() {
        assertEquals("arn:aws:states:::sqs:sendMessage.waitForTaskToken", agentTask.get("Resource").asText());
        JsonNode parameters = agentTask.get("Parameters");
        assertEquals("resource:Ref AgentWorkQueue", parameters.get("QueueUrl").asText());
        JsonNode body = parameters.get("MessageBody");
        assertEquals(Set.of("runId.$", "userId.$", "threadId.$", "input.$", "deadline.$", "taskToken.$"), fieldNames(body));
        for (String field : List.of("runId", "userId", "threadId", "input", "deadline")) {
            assertEquals("$." + field, body.get(field + ".$").asText(), field);
        }
        assertEquals("$$.Task.Token", body.get("taskToken.$").asText());
    }

    @Test
    void theAgentTaskIsTimeBoxedByTheTemplatesParameters() {
        assertEquals(Long.parseLong(template.parameterDefault("MaxDurationSeconds")), agentTask.get("TimeoutSeconds").asLong());
        assertEquals(Long.parseLong(template.parameterDefault("HeartbeatSeconds")), agentTask.get("HeartbeatSeconds").asLong());
    }

    @Test
    void everyTaskHasATimeout() {
        states.properties().forEach(state -> {
            if (state.getValue().get("Type").asText().equals("Task")) {
                JsonNode timeout = state.getValue().get("TimeoutSeconds");
                assertTrue(timeout != null && timeout.canConvertToLong() && timeout.asLong() > 0
                        || state.getValue().has("TimeoutSecondsPath"), state.getKey() + " has no TimeoutSeconds");
            }
        });
    }

    @Test
    void theHeartbeatIsShorterThanTheTimeBox() {
        states.properties().forEach(state -> {
            JsonNode heartbeat = state.getValue().get("HeartbeatSeconds");
            if (heartbeat != null) {
                assertTrue(heartbeat.asLong() < state.getValue().get("TimeoutSeconds").asLong(), state.getKey());
            }
        });
    }

    @Test
    void theExecutionBackstopOutlastsTheTimeBoxAndTheSlowestFinalization() {
        long slowestFinalization = 0;
        for (String finalizer : finalizerStates()) {
            slowestFinalization = Math.max(slowestFinalization, worstCaseSeconds(states.get(finalizer)));
        }
        long backstop = definition.get("TimeoutSeconds").asLong();
        assertTrue(backstop > agentTask.get("TimeoutSeconds").asLong() + slowestFinalization,
                "backstop " + backstop + " s must exceed the time box plus " + slowestFinalization + " s of finalizing");
    }

    @Test
    void catchesTheHeartbeatTheTimeoutAndEverythingElseInThatOrder() {
        List<String> caught = new ArrayList<>();
        agentTask.get("Catch").forEach(catcher -> {
            assertEquals(1, catcher.get("ErrorEquals").size());
            caught.add(catcher.get("ErrorEquals").get(0).asText());
        });
        // States.Timeout may also stand for a missed heartbeat, so the specific catcher has to come first.
        assertEquals(List.of("States.HeartbeatTimeout", "States.Timeout", "States.ALL"), caught);
    }

    @Test
    void eachCatchInvokesTheFinalizerWithTheFailureAndItsErrorName() {
        agentTask.get("Catch").forEach(catcher -> {
            String error = catcher.get("ErrorEquals").get(0).asText();
            String failure = catcher.get("ResultPath").asText();
            JsonNode finalizer = states.get(catcher.get("Next").asText());
            JsonNode payload = assertInvokesTheFinalizer(finalizer);

            assertEquals(Set.of("runId.$", "outcome", error.equals("States.ALL") ? "error.$" : "error", "cause.$"),
                    fieldNames(payload), error);
            assertEquals("$.runId", payload.get("runId.$").asText());
            assertEquals("failed", payload.get("outcome").asText());
            if (error.equals("States.ALL")) {
                assertEquals(failure + ".Error", payload.get("error.$").asText());
            } else {
                assertEquals(error, payload.get("error").asText());
            }
            assertEquals(failure + ".Cause", payload.get("cause.$").asText());
        });
    }

    @Test
    void successInvokesTheFinalizerWithSucceeded() {
        JsonNode finalizer = states.get(agentTask.get("Next").asText());
        JsonNode payload = assertInvokesTheFinalizer(finalizer);
        assertEquals(Set.of("runId.$", "outcome"), fieldNames(payload));
        assertEquals("$.runId", payload.get("runId.$").asText());
        assertEquals("succeeded", payload.get("outcome").asText());
        assertTrue(agentTask.get("ResultPath").isNull(), "the worker's output must not replace the run id");
    }

    @Test
    void finalizersRetryTransientLambdaErrorsWithBackoffButNeverABadEvent() {
        for (String name : finalizerStates()) {
            JsonNode state = states.get(name);
            assertFalse(state.has("Catch"), name + ": a finalizer failure must fail the execution for the sweep to see");
            Set<String> retried = new TreeSet<>();
            state.get("Retry").forEach(retrier -> {
                retrier.get("ErrorEquals").forEach(error -> retried.add(error.asText()));
                assertTrue(retrier.get("BackoffRate").asDouble() > 1, name + " backs off");
                assertTrue(retrier.get("MaxAttempts").asInt() >= 3, name + " retries a few times");
            });
            assertEquals(TRANSIENT_LAMBDA_ERRORS, retried, name);
            // Lambda names a Java exception's error type by its class name; States.ALL or States.TaskFailed would
            // also retry the finalizer's rejection of a bad event.
            assertFalse(retried.contains(InvalidEventException.class.getName()), name);
            assertFalse(retried.contains("States.ALL") || retried.contains("States.TaskFailed"), name);
        }
    }

    @Test
    void everyPathEndsAfterTheFinalizer() {
        for (String name : finalizerStates()) {
            assertTrue(states.get(name).path("End").asBoolean(), name);
        }
        assertEquals(1 + 3, finalizerStates().size(), "one finalizer state for success and one per catcher");
        assertEquals(finalizerStates().size() + 1, states.size(), "the agent task and the finalizers, nothing else");
    }

    private List<String> finalizerStates() {
        List<String> finalizers = new ArrayList<>();
        finalizers.add(agentTask.get("Next").asText());
        agentTask.get("Catch").forEach(catcher -> finalizers.add(catcher.get("Next").asText()));
        return finalizers;
    }

    private static JsonNode assertInvokesTheFinalizer(JsonNode state) {
        assertEquals("Task", state.get("Type").asText());
        assertEquals("arn:aws:states:::lambda:invoke", state.get("Resource").asText());
        assertEquals(FINALIZER_MARKER, state.get("Parameters").get("FunctionName").asText());
        return state.get("Parameters").get("Payload");
    }

    /** Every attempt running into the task timeout, with the longest waits the retriers allow in between. */
    private static long worstCaseSeconds(JsonNode task) {
        long timeout = task.get("TimeoutSeconds").asLong();
        long worst = timeout;
        for (JsonNode retrier : task.get("Retry")) {
            double interval = retrier.path("IntervalSeconds").asDouble(1);
            double rate = retrier.path("BackoffRate").asDouble(2);
            double maxDelay = retrier.has("MaxDelaySeconds") ? retrier.get("MaxDelaySeconds").asDouble() : Double.MAX_VALUE;
            for (int attempt = 0; attempt < retrier.path("MaxAttempts").asInt(3); attempt++) {
                worst += (long) Math.ceil(Math.min(interval * Math.pow(rate, attempt), maxDelay)) + timeout;
            }
        }
        return worst;
    }

    private static Set<String> fieldNames(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
