package dev.runmeter.http;

import java.util.HashMap;
import java.util.Map;

/** One route of the HTTP API, such as {@code GET /v1/runs/{runId}}, and what answers it. */
public record Route(String method, String template, Action action) {

    @FunctionalInterface
    public interface Action {
        Response handle(HttpRequest request);
    }

    public String key() {
        return method + " " + template;
    }

    /** The path parameters if {@code path} fits the template, or null. */
    Map<String, String> match(String path) {
        String[] expected = template.split("/", -1);
        String[] actual = path.split("/", -1);
        if (expected.length != actual.length) {
            return null;
        }
        Map<String, String> parameters = new HashMap<>();
        for (int i = 0; i < expected.length; i++) {
            if (expected[i].startsWith("{") && expected[i].endsWith("}")) {
                if (actual[i].isEmpty()) {
                    return null;
                }
                parameters.put(expected[i].substring(1, expected[i].length() - 1), actual[i]);
            } else if (!expected[i].equals(actual[i])) {
                return null;
            }
        }
        return parameters;
    }
}
