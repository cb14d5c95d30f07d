package dev.runmeter.lambda;

import java.io.IOException;
import java.io.InputStream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** Reading and writing the JSON documents that Lambda passes in and out, with the same strict rules everywhere. */
public final class Events {

    /**
     * Strict about what JSON is (no trailing tokens, no duplicate keys, bounded nesting) and independent of the
     * application's ObjectMapper settings, so every function reads events the same way.
     */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private Events() {
    }

    /** The event as a JSON object. */
    public static JsonNode readObject(InputStream input) {
        JsonNode event;
        try {
            event = JSON.readTree(input);
        } catch (IOException e) {
            throw new InvalidEventException("The event is not valid JSON");
        }
        if (event == null || !event.isObject()) {
            throw new InvalidEventException("The event must be a JSON object");
        }
        return event;
    }

    /** A text field, or null when absent or JSON null; anything else is an invalid event. */
    public static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidEventException("Field '" + field + "' must be a string");
        }
        return value.textValue();
    }
}
