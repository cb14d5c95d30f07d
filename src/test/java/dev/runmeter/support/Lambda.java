package dev.runmeter.support;

import static io.restassured.RestAssured.given;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.databind.JsonNode;

import io.restassured.response.ExtractableResponse;

/** Invokes the function under test through Quarkus's Lambda mock event server, as the Lambda runtime would. */
public final class Lambda {

    private Lambda() {
    }

    /** An HTTP API response: the status API Gateway would send and the parsed body. */
    public record HttpResult(int status, String contentType, JsonNode body) {
        public String code() {
            return body.path("code").asText(null);
        }
    }

    /** The raw answer of the function: HTTP 200 with its output, or 500 with Lambda's error document. */
    public static ExtractableResponse<?> invoke(String event) {
        return given().contentType("application/json").body(event).when().post().then().extract();
    }

    /** The output of a directly invoked function (finalizer, sweep), which must have answered. */
    public static JsonNode direct(String event) {
        ExtractableResponse<?> raw = invoke(event);
        if (raw.statusCode() != 200) {
            throw new AssertionError("The function failed instead of answering: " + raw.asString());
        }
        return parse(raw.asString());
    }

    /** Lambda's error document for a function that threw: {@code errorType} is the exception's class name. */
    public static JsonNode error(String event) {
        ExtractableResponse<?> raw = invoke(event);
        if (raw.statusCode() < 400) {
            throw new AssertionError("The function answered instead of failing: " + raw.asString());
        }
        return parse(raw.asString());
    }

    private static JsonNode parse(String json) {
        try {
            return HttpApiEvent.JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static HttpResult http(HttpApiEvent event) {
        ExtractableResponse<?> raw = invoke(event.json());
        if (raw.statusCode() != 200) {
            throw new AssertionError("The function failed instead of answering: " + raw.asString());
        }
        try {
            JsonNode response = HttpApiEvent.JSON.readTree(raw.asString());
            String body = response.path("body").asText();
            return new HttpResult(response.path("statusCode").asInt(),
                    response.path("headers").path("content-type").asText(null),
                    body.isEmpty() ? null : HttpApiEvent.JSON.readTree(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
