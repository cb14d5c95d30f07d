package dev.runmeter.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A whole API Gateway HTTP API (payload 2.0) event, as AWS sends it: starts from a captured sample document in
 * {@code events/} and changes only what a test is about (route, query, caller, body), keeping every other field.
 */
public final class HttpApiEvent {

    /** Reads numbers as sent: 2.00 stays 2.00, so tests see the minutes' two decimals. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    private final ObjectNode event;
    private final Map<String, String> query = new LinkedHashMap<>();

    private HttpApiEvent(String sample) {
        try {
            this.event = (ObjectNode) JSON.readTree(Files.readString(Path.of("events", sample)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        event.remove("queryStringParameters");
        event.put("rawQueryString", "");
    }

    public static HttpApiEvent get(String path) {
        return new HttpApiEvent("http-api-get-usage.json").route("GET", path);
    }

    public static HttpApiEvent post(String path) {
        return new HttpApiEvent("http-api-post-run-base64.json").route("POST", path).body(null);
    }

    /** Sets method and path; the route key is the concrete route, as API Gateway sends it for a matched route. */
    public HttpApiEvent route(String method, String path) {
        event.put("rawPath", path);
        ObjectNode http = (ObjectNode) event.with("requestContext").with("http");
        http.put("method", method);
        http.put("path", path);
        return routeKey(method + " " + path);
    }

    public HttpApiEvent routeKey(String routeKey) {
        event.put("routeKey", routeKey);
        ((ObjectNode) event.get("requestContext")).put("routeKey", routeKey);
        return this;
    }

    /** The route template API Gateway matched, e.g. {@code GET /v1/runs/{runId}}, with its path parameters. */
    public HttpApiEvent matchedRoute(String routeKey, Map<String, String> pathParameters) {
        routeKey(routeKey);
        event.set("pathParameters", JSON.valueToTree(pathParameters));
        return this;
    }

    public HttpApiEvent query(String name, String value) {
        query.put(name, value);
        return this;
    }

    public HttpApiEvent user(String sub) {
        claims().put("sub", sub);
        return this;
    }

    public HttpApiEvent scope(String scope) {
        claims().put("scope", scope);
        return this;
    }

    public HttpApiEvent admin(String sub) {
        return user(sub).scope("openid runmeter/admin");
    }

    public HttpApiEvent anonymous() {
        ((ObjectNode) event.get("requestContext")).remove("authorizer");
        return this;
    }

    public HttpApiEvent header(String name, String value) {
        event.with("headers").put(name, value);
        return this;
    }

    public HttpApiEvent body(String body) {
        if (body == null) {
            event.remove("body");
            event.put("isBase64Encoded", false);
        } else {
            event.put("body", body);
            event.put("isBase64Encoded", false);
        }
        return this;
    }

    public HttpApiEvent base64Body(String body) {
        event.put("body", Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)));
        event.put("isBase64Encoded", true);
        return this;
    }

    public ObjectNode document() {
        if (!query.isEmpty()) {
            event.set("queryStringParameters", JSON.valueToTree(query));
            event.put("rawQueryString", query.entrySet().stream()
                    .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                    .collect(Collectors.joining("&")));
        }
        return event;
    }

    public String json() {
        try {
            return JSON.writeValueAsString(document());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ObjectNode claims() {
        return (ObjectNode) event.with("requestContext").with("authorizer").with("jwt").with("claims");
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
