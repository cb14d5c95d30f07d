package dev.runmeter.support;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A fake AWS Step Functions endpoint at the HTTP wire: the application's real AWS SDK client talks to it as to
 * AWS (JSON 1.0 protocol, {@code X-Amz-Target: AWSStepFunctions.<Operation>}). Tests assert the requests it got
 * and make it fail the way AWS does.
 */
public class FakeStepFunctions implements QuarkusTestResourceLifecycleManager {

    public static final String STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:runmeter-agent-run";
    public static final String EXECUTION_ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:execution:runmeter-agent-run:";
    private static final String JSON_1_0 = "application/x-amz-json-1.0";

    /** Marks the test's field that receives the fake. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Inject {
    }

    private WireMockServer server;

    @Override
    public Map<String, String> start() {
        server = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1")
                .globalTemplating(true));
        server.start();
        answerNormally(server);
        return Map.of(
                "runmeter.step-functions.endpoint-override", "http://127.0.0.1:" + server.port(),
                "runmeter.step-functions.state-machine-arn", STATE_MACHINE_ARN,
                "runmeter.step-functions.attempt-timeout", "PT1S",
                "runmeter.step-functions.call-timeout", "PT3S");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(server, new TestInjector.AnnotatedAndMatchesType(Inject.class, WireMockServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** Forgets earlier requests, executions and failures: every operation answers at once. */
    public static void reset(WireMockServer server) {
        server.resetAll();
        answerNormally(server);
    }

    private static void answerNormally(WireMockServer server) {
        server.stubFor(operation("StartExecution").willReturn(json(200,
                "{\"executionArn\": \"" + EXECUTION_ARN_PREFIX + "{{jsonPath request.body '$.name'}}\", "
                        + "\"startDate\": 1796310000.0}")));
        server.stubFor(operation("StopExecution").willReturn(json(200, "{\"stopDate\": 1796310000.0}")));
        // an execution nobody described to the fake does not exist; tests add the ones that do
        server.stubFor(operation("DescribeExecution").willReturn(awsError(400, "ExecutionDoesNotExist",
                "Execution Does Not Exist")));
    }

    public static MappingBuilder operation(String name) {
        return post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("AWSStepFunctions." + name));
    }

    public static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", JSON_1_0).withBody(body);
    }

    /** An AWS JSON-protocol error, e.g. {@code ThrottlingException} with 400. */
    public static ResponseDefinitionBuilder awsError(int status, String type, String message) {
        return json(status, "{\"__type\": \"" + type + "\", \"message\": \"" + message + "\"}");
    }

    public static RequestPatternBuilder requestsFor(String operation) {
        return postRequestedFor(urlEqualTo("/")).withHeader("X-Amz-Target",
                equalTo("AWSStepFunctions." + operation));
    }

    public static List<JsonNode> bodiesOf(WireMockServer server, String operation) {
        return server.findAll(requestsFor(operation)).stream().map(FakeStepFunctions::body).toList();
    }

    private static JsonNode body(LoggedRequest request) {
        try {
            return HttpApiEvent.JSON.readTree(request.getBodyAsString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
