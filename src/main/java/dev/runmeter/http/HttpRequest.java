package dev.runmeter.http;

import java.util.Map;

/** The parts of an API Gateway HTTP API (payload 2.0) request that runmeter uses. */
public record HttpRequest(
        String method,
        String path,
        Map<String, String> pathParameters,
        Map<String, String> query,
        Map<String, String> headers,
        String body,
        Caller caller) {

    public String query(String name) {
        return query.get(name);
    }

    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    public String pathParameter(String name) {
        return pathParameters.get(name);
    }
}
