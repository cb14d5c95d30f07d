package dev.runmeter.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jboss.logging.Logger;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.runmeter.db.DatabaseException;
import dev.runmeter.lambda.Events;
import dev.runmeter.lambda.InvalidEventException;
import dev.runmeter.logging.RunLogContext;

/**
 * The edge between API Gateway's HTTP API (payload format 2.0) and runmeter: turns the event into an
 * {@link HttpRequest} for the caller the JWT authorizer vouched for, routes it, and turns the result, or the
 * reason there is none, into the response document API Gateway expects. Bad input is always a 4xx; only
 * runmeter's own faults are 5xx.
 */
public abstract class HttpApiHandler implements RequestStreamHandler {

    private static final Logger LOG = Logger.getLogger(HttpApiHandler.class);
    /** Step Functions accepts at most 256 KiB of execution input; no route needs a larger body. */
    static final int MAX_BODY_BYTES = 256 * 1024;
    private static final String DEFAULT_ROUTE = "$default";

    /** The routes this function serves. */
    public abstract List<Route> routes();

    /** The problem document for a refusal of this function's own domain, or null when the exception is a fault. */
    protected ApiProblem problemFor(RuntimeException exception) {
        return null;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Events.readObject(input);
        try {
            Events.JSON.writeValue(output, respond(event));
        } finally {
            RunLogContext.clear();
        }
    }

    private ObjectNode respond(JsonNode event) {
        // an event without these is not from API Gateway at all: a Lambda error for whoever invoked it directly
        String method = Events.text(event.path("requestContext").path("http"), "method");
        String rawPath = Events.text(event, "rawPath");
        if (method == null || rawPath == null) {
            throw new InvalidEventException("Not an API Gateway HTTP API (payload format 2.0) event");
        }
        HttpRequest request;
        Route route;
        try {
            Caller caller = caller(event);
            RunLogContext.user(caller.userId());
            String routeKey = Events.text(event, "routeKey");
            Map<String, String> pathParameters = new HashMap<>();
            route = route(routeKey == null || routeKey.equals(DEFAULT_ROUTE) ? method + " " + rawPath : routeKey,
                    method, rawPath, pathParameters);
            request = new HttpRequest(method, rawPath, pathParameters,
                    strings(event.get("queryStringParameters"), false), strings(event.get("headers"), true),
                    body(event), caller);
        } catch (ApiProblem problem) {
            return problem(problem);
        } catch (InvalidEventException e) {
            // API Gateway turns a Lambda error into a bare 500; a malformed request is the caller's 400
            return problem(ApiProblem.invalidRequest(e.getMessage()));
        }
        try {
            Response response = route.action().handle(request);
            return response(response.status(), "application/json", response.document());
        } catch (ApiProblem problem) {
            return problem(problem);
        } catch (DatabaseException e) {
            if (e.isUnavailable()) {
                LOG.errorf("Database unavailable answering %s: %s", route.key(), e.getCause().getMessage());
                return problem(new ApiProblem(503, "service_unavailable", "Service Unavailable",
                        "The database is unavailable; retry later"));
            }
            LOG.errorf(e, "Database error answering %s", route.key());
            return internalError();
        } catch (RuntimeException e) {
            ApiProblem refusal = problemFor(e);
            if (refusal != null) {
                return problem(refusal);
            }
            LOG.errorf(e, "Unexpected error answering %s", route.key());
            return internalError();
        }
    }

    private static Caller caller(JsonNode event) {
        JsonNode claims = event.path("requestContext").path("authorizer").path("jwt").path("claims");
        JsonNode sub = claims.get("sub");
        if (sub == null || !sub.isTextual() || sub.textValue().isBlank()) {
            throw new ApiProblem(401, "unauthorized", "Unauthorized", "A JWT with a 'sub' claim is required");
        }
        if (!Identifiers.isUserId(sub.textValue())) {
            throw new ApiProblem(401, "unauthorized", "Unauthorized", "The JWT's 'sub' claim is not a usable user id: "
                    + "1 to " + Identifiers.MAX_USER_ID_LENGTH + " printable characters");
        }
        return new Caller(sub.textValue(), hasAdminScope(claims.get("scope")));
    }

    /** The scope claim is space-delimited (RFC 8693); API Gateway renders a list claim as "[a b]". */
    private static boolean hasAdminScope(JsonNode scope) {
        if (scope == null) {
            return false;
        }
        if (scope.isArray()) {
            for (JsonNode each : scope) {
                if (Caller.ADMIN_SCOPE.equals(each.asText())) {
                    return true;
                }
            }
            return false;
        }
        for (String token : scope.asText().replace('[', ' ').replace(']', ' ').replace(',', ' ').split("\\s+")) {
            if (token.equals(Caller.ADMIN_SCOPE)) {
                return true;
            }
        }
        return false;
    }

    private Route route(String routeKey, String method, String rawPath, Map<String, String> pathParameters) {
        int space = routeKey.indexOf(' ');
        String keyMethod = space < 0 ? method : routeKey.substring(0, space);
        String keyPath = space < 0 ? rawPath : routeKey.substring(space + 1);
        for (Route route : routes()) {
            if (!route.method().equals(keyMethod.toUpperCase(Locale.ROOT))) {
                continue;
            }
            if (route.template().equals(keyPath)) {
                // a concrete route key: the parameters' values are in the path, whatever the stage prefix
                Map<String, String> values = route.match(suffix(rawPath, route.template()));
                if (values == null) {
                    throw ApiProblem.notFound("No route for " + method + " " + rawPath);
                }
                pathParameters.putAll(values);
                return route;
            }
            Map<String, String> values = route.match(keyPath);
            if (values != null) {
                pathParameters.putAll(values);
                return route;
            }
        }
        throw ApiProblem.notFound("No route for " + method + " " + rawPath);
    }

    /** The last segments of the path, as many as the template has. */
    private static String suffix(String path, String template) {
        int segments = template.split("/", -1).length - 1;
        int index = path.length();
        for (int i = 0; i < segments && index > 0; i++) {
            index = path.lastIndexOf('/', index - 1);
        }
        return index < 0 ? path : path.substring(index);
    }

    private static Map<String, String> strings(JsonNode object, boolean lowerCaseKeys) {
        Map<String, String> values = new HashMap<>();
        if (object == null || object.isNull()) {
            return values;
        }
        if (!object.isObject()) {
            throw ApiProblem.invalidRequest("Malformed request parameters");
        }
        object.fields().forEachRemaining(field -> {
            if (!field.getValue().isTextual()) {
                throw ApiProblem.invalidRequest("Parameter '" + field.getKey() + "' must be a string");
            }
            values.put(lowerCaseKeys ? field.getKey().toLowerCase(Locale.ROOT) : field.getKey(),
                    field.getValue().textValue());
        });
        return values;
    }

    private static String body(JsonNode event) {
        String body = Events.text(event, "body");
        if (body == null) {
            return null;
        }
        JsonNode encoded = event.get("isBase64Encoded");
        byte[] bytes;
        if (encoded != null && encoded.asBoolean(false)) {
            try {
                bytes = Base64.getDecoder().decode(body.replace("\n", "").replace("\r", ""));
            } catch (IllegalArgumentException e) {
                throw ApiProblem.invalidRequest("The body is marked base64-encoded but is not valid base64");
            }
        } else {
            bytes = body.getBytes(StandardCharsets.UTF_8);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiProblem(413, "payload_too_large", "Payload Too Large",
                    "The body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiProblem.invalidRequest("The body is not valid UTF-8");
        }
    }

    private static ObjectNode internalError() {
        return problem(new ApiProblem(500, "internal_error", "Internal Server Error",
                "An unexpected error occurred; it has been logged"));
    }

    private static ObjectNode problem(ApiProblem problem) {
        return response(problem.status(), "application/problem+json", problem.toDocument());
    }

    private static ObjectNode response(int status, String contentType, Object document) {
        ObjectNode response = Events.JSON.createObjectNode();
        response.put("statusCode", status);
        response.putObject("headers").put("content-type", contentType);
        try {
            response.put("body", Events.JSON.writeValueAsString(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write " + document.getClass().getSimpleName(), e);
        }
        response.put("isBase64Encoded", false);
        return response;
    }
}
