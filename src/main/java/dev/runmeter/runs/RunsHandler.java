package dev.runmeter.runs;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Named;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.http.ApiProblem;
import dev.runmeter.http.HttpApiHandler;
import dev.runmeter.http.HttpRequest;
import dev.runmeter.http.Identifiers;
import dev.runmeter.http.Response;
import dev.runmeter.http.Route;
import dev.runmeter.lambda.Events;

/** The {@code runs} function: start, read and stop time-boxed agent runs. */
@Named("runs")
public class RunsHandler extends HttpApiHandler {

    static final int MAX_IDEMPOTENCY_KEY_LENGTH = 128;
    static final int MAX_THREAD_ID_LENGTH = 256;
    private static final Set<String> START_FIELDS = Set.of("threadId", "input");

    private final RunService runs;
    private final List<Route> routes;

    public RunsHandler(RunService runs) {
        this.runs = runs;
        this.routes = List.of(
                new Route("POST", "/v1/runs", this::start),
                new Route("GET", "/v1/runs/{runId}", this::get),
                new Route("POST", "/v1/runs/{runId}/stop", this::stop));
    }

    @Override
    public List<Route> routes() {
        return routes;
    }

    private Response start(HttpRequest request) {
        JsonNode body = startBody(request.body());
        String threadId = threadId(body.get("threadId"));
        String key = idempotencyKey(request.header("idempotency-key"));
        RunService.Started started = runs.start(request.caller().userId(), threadId, body.get("input"), key);
        return new Response(started.replay() ? 200 : 202, started.run());
    }

    private Response get(HttpRequest request) {
        UUID runId = runId(request);
        return Response.ok(runs.get(request.caller().userId(), runId));
    }

    private Response stop(HttpRequest request) {
        UUID runId = runId(request);
        return Response.ok(runs.stop(request.caller().userId(), runId));
    }

    private static JsonNode startBody(String body) {
        if (body == null || body.isBlank()) {
            return Events.JSON.createObjectNode();
        }
        JsonNode document;
        try {
            document = Events.JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiProblem.invalidRequest("The body is not valid JSON");
        }
        if (document == null || !document.isObject()) {
            throw ApiProblem.invalidRequest("The body must be a JSON object: {\"threadId\"?, \"input\"?}");
        }
        document.fieldNames().forEachRemaining(field -> {
            if (!START_FIELDS.contains(field)) {
                throw ApiProblem.invalidRequest("Unknown field '" + field + "'; a run takes threadId and input");
            }
        });
        return document;
    }

    private static String threadId(JsonNode threadId) {
        if (threadId == null || threadId.isNull()) {
            return null;
        }
        if (!threadId.isTextual() || threadId.textValue().isEmpty()
                || threadId.textValue().length() > MAX_THREAD_ID_LENGTH
                || !Identifiers.isPrintable(threadId.textValue())) {
            throw ApiProblem.invalidRequest("threadId must be a string of 1 to " + MAX_THREAD_ID_LENGTH
                    + " printable characters");
        }
        return threadId.textValue();
    }

    private static String idempotencyKey(String key) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY_LENGTH || !Identifiers.isPrintable(key)) {
            throw ApiProblem.invalidRequest("Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY_LENGTH
                    + " printable characters");
        }
        return key;
    }

    private static UUID runId(HttpRequest request) {
        String text = request.pathParameter("runId");
        try {
            UUID id = UUID.fromString(text);
            if (id.toString().equalsIgnoreCase(text)) {
                return id;
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            // answered below
        }
        throw ApiProblem.invalidRequest("runId must be a UUID");
    }

    @Override
    protected ApiProblem problemFor(RuntimeException exception) {
        if (exception instanceof RunService.InputTooLargeException) {
            return new ApiProblem(413, "payload_too_large", "Payload Too Large", exception.getMessage());
        }
        if (!(exception instanceof RunRefusedException refusal)) {
            return null;
        }
        return switch (refusal.reason()) {
            case USAGE_LIMIT_EXCEEDED -> new ApiProblem(402, "usage_limit_exceeded", "Payment Required",
                    refusal.getMessage());
            case TOO_MANY_ACTIVE_RUNS -> new ApiProblem(409, "too_many_active_runs", "Conflict", refusal.getMessage());
            case RUN_NOT_FOUND -> ApiProblem.notFound(refusal.getMessage());
            case RUN_NOT_RUNNING -> new ApiProblem(409, "run_not_running", "Conflict", refusal.getMessage());
            case ORCHESTRATOR_UNAVAILABLE -> new ApiProblem(503, "orchestrator_unavailable", "Service Unavailable",
                    refusal.getMessage());
        };
    }
}
