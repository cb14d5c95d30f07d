package dev.runmeter.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One malformed or hostile invocation of a function and what it must answer: an HTTP status and problem code (the
 * function answered API Gateway), or the Lambda error type (the event is not one the function accepts at all).
 */
public record HostileEvent(String name, String json, int status, String code, String errorType) {

    public static final String INVALID_EVENT = "dev.runmeter.lambda.InvalidEventException";
    public static final String RUN_NOT_FOUND = "dev.runmeter.runs.RunNotFoundException";

    public static HostileEvent http(String name, String json, int status, String code) {
        return new HostileEvent(name, json, status, code, null);
    }

    public static HostileEvent http(String name, HttpApiEvent event, int status, String code) {
        return http(name, event.json(), status, code);
    }

    public static HostileEvent lambdaError(String name, String json, String errorType) {
        return new HostileEvent(name, json, 0, null, errorType);
    }

    public static HostileEvent invalid(String name, String json) {
        return lambdaError(name, json, INVALID_EVENT);
    }

    public boolean expectsHttpAnswer() {
        return errorType == null;
    }

    /**
     * Invokes the function with the event and checks the answer: the expected problem document, clean of
     * internals, or the expected typed Lambda error.
     */
    public void assertRefused() {
        io.restassured.response.ExtractableResponse<?> raw = Lambda.invoke(json);
        JsonNode answer;
        try {
            answer = HttpApiEvent.JSON.readTree(raw.asString());
        } catch (IOException e) {
            throw new AssertionError(name + ": the function's answer is not JSON: " + raw.asString(), e);
        }
        if (expectsHttpAnswer()) {
            org.junit.jupiter.api.Assertions.assertEquals(200, raw.statusCode(),
                    () -> name + ": the function failed instead of answering: " + raw.asString());
            JsonNode body;
            try {
                body = HttpApiEvent.JSON.readTree(answer.path("body").asText());
            } catch (IOException e) {
                throw new AssertionError(name + ": the response body is not JSON: " + answer, e);
            }
            Problems.assertProblem(new Lambda.HttpResult(answer.path("statusCode").asInt(),
                    answer.path("headers").path("content-type").asText(null), body), status, code);
        } else {
            org.junit.jupiter.api.Assertions.assertTrue(raw.statusCode() >= 400,
                    () -> name + ": expected a Lambda error, got " + raw.asString());
            org.junit.jupiter.api.Assertions.assertEquals(errorType, answer.path("errorType").asText(),
                    () -> name + ": " + raw.asString());
            Problems.assertClean(answer.path("errorMessage").asText());
        }
    }

    /** Shown by JUnit as the case's name. */
    @Override
    public String toString() {
        return name;
    }

    /** A sample document from {@code events/}, to be changed by a case. */
    public static ObjectNode sample(String file) {
        try {
            return (ObjectNode) HttpApiEvent.JSON.readTree(Files.readString(Path.of("events", file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The document with the value at a JSON pointer replaced (or removed when value is null). */
    public static String with(ObjectNode document, String pointer, JsonNode value) {
        ObjectNode copy = document.deepCopy();
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = slash == 0 ? copy : copy.at(pointer.substring(0, slash));
        if (!(parent instanceof ObjectNode object)) {
            throw new IllegalArgumentException("No object at " + pointer.substring(0, slash));
        }
        if (value == null) {
            object.remove(pointer.substring(slash + 1));
        } else {
            object.set(pointer.substring(slash + 1), value);
        }
        return write(copy);
    }

    public static String write(JsonNode document) {
        try {
            return HttpApiEvent.JSON.writeValueAsString(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Hostile strings that every identifier, parameter and field must treat as inert data. */
    public static final java.util.List<String> SQL_INJECTIONS = java.util.List.of(
            "' OR '1'='1",
            "'; DROP TABLE agent_runs; --",
            "1; UPDATE agent_runs SET status = 'completed'; --",
            "\" OR \"\"=\"",
            "') UNION SELECT id, user_id FROM agent_runs --",
            "$$; DELETE FROM accounts; $$");

    public static final java.util.List<String> PATH_TRAVERSALS = java.util.List.of(
            "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..\\..\\windows\\win.ini", "%2e%2e%2f", "....//....//");

    /** Nested arrays deeper than any event needs. */
    public static String deeplyNested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    /** A case name JUnit and the reports can show. */
    public static String printable(String value) {
        String shown = value.length() > 40 ? value.substring(0, 40) + "...(" + value.length() + " chars)" : value;
        StringBuilder text = new StringBuilder("'");
        shown.codePoints().forEach(c -> text.append(Character.isISOControl(c) || Character.isSurrogate((char) c)
                ? String.format("\\u%04x", c) : Character.toString(c)));
        return text.append("'").toString();
    }
}
