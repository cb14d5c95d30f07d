package dev.runmeter.support;

import static dev.runmeter.support.HostileEvent.http;
import static dev.runmeter.support.HostileEvent.invalid;
import static dev.runmeter.support.HostileEvent.with;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Malformed and hostile events that every HTTP API function must refuse the same way: events that are not API
 * Gateway HTTP API events at all (a typed Lambda error: API Gateway never sends them), and HTTP API events that are
 * broken or hostile in their envelope (a 4xx problem document).
 */
public final class HttpApiHostility {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private HttpApiHostility() {
    }

    /** @param valid a request the function would accept from its caller */
    public static List<HostileEvent> cases(Supplier<HttpApiEvent> valid) {
        List<HostileEvent> cases = new ArrayList<>();
        String sample = valid.get().json();
        ObjectNode document = valid.get().document();

        cases.add(invalid("empty object", "{}"));
        cases.add(invalid("not JSON", "GET /v1/usage HTTP/1.1"));
        cases.add(invalid("a JSON array", "[" + sample + "]"));
        cases.add(invalid("a JSON string", "\"/v1/usage\""));
        cases.add(invalid("JSON null", "null"));
        cases.add(invalid("a number", "42"));
        cases.add(invalid("truncated event", sample.substring(0, sample.length() / 2)));
        cases.add(invalid("two events in one", sample + sample));
        cases.add(invalid("duplicate keys", "{\"rawPath\": \"/v1/usage\", \"rawPath\": \"/v1/runs\"}"));
        cases.add(invalid("nested 10000 deep", "{\"rawPath\": " + HostileEvent.deeplyNested(10_000) + "}"));
        cases.add(invalid("number with 5000 digits", "{\"version\": " + "9".repeat(5000) + "}"));
        cases.add(invalid("EventBridge scheduled event",
                HostileEvent.write(HostileEvent.sample("eventbridge-scheduled.json"))));
        cases.add(invalid("Step Functions finalization",
                "{\"runId\": \"0b5a3c1e-9f5b-4b7e-8d7e-2f3c4d5e6f70\", \"outcome\": \"succeeded\"}"));
        cases.add(invalid("SQS batch", "{\"Records\": [{\"eventSource\": \"aws:sqs\", \"body\": \"{}\"}]}"));
        cases.add(invalid("REST API (payload 1.0) event", "{\"version\": \"1.0\", \"resource\": \"/v1/usage\", "
                + "\"path\": \"/v1/usage\", \"httpMethod\": \"GET\", \"requestContext\": {\"authorizer\": "
                + "{\"claims\": {\"sub\": \"someone\"}}}}"));
        cases.add(invalid("rawPath a number", with(document, "/rawPath", NODES.numberNode(42))));
        cases.add(invalid("method an object", with(document, "/requestContext/http/method", NODES.objectNode())));
        cases.add(invalid("requestContext a string", with(document, "/requestContext", NODES.textNode("ctx"))));
        cases.add(invalid("no rawPath", with(document, "/rawPath", null)));

        cases.add(http("routeKey a number", with(document, "/routeKey", NODES.numberNode(7)), 400,
                "invalid_request"));
        cases.add(http("body an object", with(document, "/body", NODES.objectNode().put("threadId", "t")), 400,
                "invalid_request"));
        cases.add(http("headers a string", with(document, "/headers", NODES.textNode("accept: */*")), 400,
                "invalid_request"));
        cases.add(http("query parameters an array", with(document, "/queryStringParameters", NODES.arrayNode()),
                400, "invalid_request"));
        cases.add(http("a query parameter a number",
                with(document, "/queryStringParameters", NODES.objectNode().put("month", 202611)), 400,
                "invalid_request"));
        cases.add(http("a header an array",
                with(document, "/headers", NODES.objectNode().set("idempotency-key", NODES.arrayNode())), 400,
                "invalid_request"));
        cases.add(http("base64 that is not", valid.get().body("%%% not base64 %%%").document()
                .put("isBase64Encoded", true).toString(), 400, "invalid_request"));
        cases.add(http("base64 of bytes that are not UTF-8", valid.get().body(Base64.getEncoder()
                .encodeToString(new byte[] { '{', (byte) 0xC3, (byte) 0x28, '}' })).document()
                .put("isBase64Encoded", true).toString(), 400, "invalid_request"));
        cases.add(http("a 300 KiB body", valid.get().body("{\"input\": \"" + "x".repeat(300 * 1024) + "\"}"), 413,
                "payload_too_large"));
        cases.add(http("a base64 body of 300 KiB", valid.get().base64Body("y".repeat(300 * 1024)), 413,
                "payload_too_large"));

        cases.add(http("no authorizer", valid.get().anonymous(), 401, "unauthorized"));
        cases.add(http("empty sub", valid.get().user(""), 401, "unauthorized"));
        cases.add(http("blank sub", valid.get().user("   "), 401, "unauthorized"));
        cases.add(http("sub a number", with(document, "/requestContext/authorizer/jwt/claims/sub",
                NODES.numberNode(1)), 401, "unauthorized"));
        cases.add(http("sub null", with(document, "/requestContext/authorizer/jwt/claims/sub", NODES.nullNode()),
                401, "unauthorized"));
        cases.add(http("claims a string", with(document, "/requestContext/authorizer/jwt/claims",
                NODES.textNode("{\"sub\": \"x\"}")), 401, "unauthorized"));
        cases.add(http("sub with a NUL byte", valid.get().user("user\u0000admin"), 401, "unauthorized"));
        cases.add(http("sub with a line break", valid.get().user("user\nINFO forged log line"), 401,
                "unauthorized"));
        cases.add(http("sub longer than a user id", valid.get().user("u".repeat(257)), 401, "unauthorized"));
        // Jackson writes no lone surrogate; the escape goes into the JSON text as API Gateway would send it
        cases.add(http("sub with half a surrogate pair", valid.get().user("user-HALF-PAIR").json()
                .replace("user-HALF-PAIR", "user\\ud800"), 401, "unauthorized"));

        cases.add(http("unknown route", valid.get().route("GET", "/v1/admin"), 404, "not_found"));
        cases.add(http("catch-all route key", valid.get().routeKey("ANY /{proxy+}"), 404, "not_found"));
        cases.add(http("unknown method", valid.get().routeKey("$default").document()
                .put("rawPath", "/v1/usage").toString().replace("\"method\":\"GET\"", "\"method\":\"BREW\"")
                .replace("\"method\":\"POST\"", "\"method\":\"BREW\""), 404, "not_found"));
        for (String traversal : HostileEvent.PATH_TRAVERSALS) {
            cases.add(http("path traversal " + traversal, valid.get().route("GET", "/v1/" + traversal)
                    .routeKey("$default"), 404, "not_found"));
        }
        cases.add(http("SQL injection in the path", valid.get().route("GET",
                "/v1/usage' OR '1'='1").routeKey("$default"), 404, "not_found"));
        cases.add(http("NUL byte in the path", valid.get().route("GET", "/v1/usage\u0000").routeKey("$default"),
                404, "not_found"));
        cases.add(http("unicode look-alike path", valid.get().route("GET", "/v1/\u0443sage").routeKey("$default"),
                404, "not_found"));
        return cases;
    }
}
