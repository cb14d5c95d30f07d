package dev.runmeter.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.runmeter.support.FakeStepFunctions;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A Step Functions endpoint that answers at once, for throughput figures: the same wire protocol as
 * FakeStepFunctions (AWS JSON 1.0, {@code X-Amz-Target}), but a bare JDK HTTP server with canned answers, so the
 * fake's own cost stays small next to runmeter's. Started after FakeStepFunctions (which other test classes declare
 * for every Quarkus test), so its endpoint is the one the benchmark's application gets.
 */
public class InstantStepFunctions implements QuarkusTestResourceLifecycleManager {

    private static final String JSON_1_0 = "application/x-amz-json-1.0";
    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"([^\"]+)\"");

    /** Marks the test's {@code AtomicReference<String>} field that sets DescribeExecution's answer (200 + body). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface DescribeAnswer {
    }

    private final AtomicReference<String> describeAnswer = new AtomicReference<>();
    private HttpServer server;
    private ExecutorService threads;

    @Override
    public Map<String, String> start() {
        // Without TCP_NODELAY, headers and body written apart wait ~40 ms for a delayed ACK on every exchange.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        threads = Executors.newFixedThreadPool(8);
        server.setExecutor(threads);
        server.createContext("/", this::answer);
        server.start();
        return Map.of(
                "runmeter.step-functions.endpoint-override", "http://127.0.0.1:" + server.getAddress().getPort(),
                "runmeter.step-functions.state-machine-arn", FakeStepFunctions.STATE_MACHINE_ARN);
    }

    @Override
    public int order() {
        return 100;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(describeAnswer,
                new TestInjector.AnnotatedAndMatchesType(DescribeAnswer.class, AtomicReference.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
            threads.shutdownNow();
        }
    }

    private void answer(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
        long now = System.currentTimeMillis() / 1000;
        switch (target) {
            case "AWSStepFunctions.StartExecution" -> {
                Matcher name = NAME.matcher(body);
                send(exchange, 200, "{\"executionArn\": \"" + FakeStepFunctions.EXECUTION_ARN_PREFIX
                        + (name.find() ? name.group(1) : "unnamed") + "\", \"startDate\": " + now + ".0}");
            }
            case "AWSStepFunctions.StopExecution" -> send(exchange, 200, "{\"stopDate\": " + now + ".0}");
            case "AWSStepFunctions.DescribeExecution" -> {
                String described = describeAnswer.get();
                if (described == null) {
                    send(exchange, 400, "{\"__type\": \"ExecutionDoesNotExist\", \"message\": \"Execution Does Not Exist\"}");
                } else {
                    send(exchange, 200, described);
                }
            }
            default -> send(exchange, 400, "{\"__type\": \"UnknownOperationException\", \"message\": \"" + target + "\"}");
        }
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", JSON_1_0);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
