import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local stand-in for the AWS Lambda Runtime API (version 2018-06-01) and for Lambda's synchronous Invoke API, so
 * that AWS's runtime interface client can run a packaged function on a developer machine exactly as it runs in
 * Lambda. JDK only: {@code java LambdaRuntimeEmulator.java [options]}.
 *
 * <p>The runtime side ({@code /2018-06-01/runtime/...}) is what the runtime interface client polls. The caller side
 * is {@code POST /2015-03-31/functions/<name>/invocations} with the event as the body; it blocks until the function
 * answers and returns what Lambda's Invoke API returns: 200 with the function's response, or 200 with
 * {@code X-Amz-Function-Error: Unhandled} and the error document when the function (or its init) failed or timed
 * out. A 502 means the runtime never asked for the event: no function ran.
 *
 * <p>Every wait is bounded: an event waits at most {@code --init-timeout-seconds} to be picked up and then
 * {@code --timeout-seconds} (the function's timeout) for its answer, and the emulator exits by itself after
 * {@code --idle-exit-seconds} without any invocation.
 */
public class LambdaRuntimeEmulator {

    private static final String RUNTIME = "/2018-06-01/runtime/";
    private static final String INVOKE_PREFIX = "/2015-03-31/functions/";
    private static final String INVOKE_SUFFIX = "/invocations";
    /** Lambda's limit for synchronous request and response payloads. */
    private static final int MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
    private static final String ACCOUNT_ID = "123456789012";
    private static final PrintStream LOG = System.err;

    private final String functionArn;
    private final long timeoutMs;
    private final long initTimeoutMs;
    private final long idleExitMs;
    private final BlockingQueue<Invocation> queued = new LinkedBlockingQueue<>();
    private final Map<String, Invocation> handedOut = new ConcurrentHashMap<>();
    private final AtomicLong lastActivity = new AtomicLong(System.currentTimeMillis());
    private final AtomicLong invocationsWaiting = new AtomicLong();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final SecureRandom random = new SecureRandom();
    private volatile Answer initError;
    private volatile boolean runtimeHasPolled;

    private LambdaRuntimeEmulator(String functionName, String region, long timeoutMs, long initTimeoutMs,
            long idleExitMs) {
        this.functionArn = "arn:aws:lambda:" + region + ":" + ACCOUNT_ID + ":function:" + functionName;
        this.timeoutMs = timeoutMs;
        this.initTimeoutMs = initTimeoutMs;
        this.idleExitMs = idleExitMs;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        String functionName = options.getOrDefault("function-name", "function");
        String region = options.getOrDefault("region", System.getenv().getOrDefault("AWS_REGION", "us-east-1"));
        LambdaRuntimeEmulator emulator = new LambdaRuntimeEmulator(functionName, region,
                seconds(options, "timeout-seconds", 30), seconds(options, "init-timeout-seconds", 60),
                seconds(options, "idle-exit-seconds", 600));
        emulator.serve(Integer.parseInt(options.getOrDefault("port", "0")), options.get("port-file"));
    }

    private void serve(int port, String portFile) throws IOException, InterruptedException {
        // Without TCP_NODELAY, headers and body written apart wait ~40 ms for a delayed ACK on every exchange.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 16);
        // One thread stays parked in /next while callers wait in /invocations: a small fixed pool bounds both.
        ExecutorService workers = Executors.newFixedThreadPool(16, daemon("lambda-local-http"));
        server.setExecutor(workers);
        server.createContext("/", this::route);
        server.start();
        int boundPort = server.getAddress().getPort();
        log("Runtime API listening on 127.0.0.1:" + boundPort + " for " + functionArn);
        if (portFile != null) {
            // Written only once the socket accepts connections, and atomically, so a poller never reads half a number.
            Path target = Path.of(portFile);
            Path partial = Path.of(portFile + ".partial");
            Files.writeString(partial, Integer.toString(boundPort));
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        }
        ScheduledExecutorService idleWatch = Executors.newSingleThreadScheduledExecutor(daemon("lambda-local-idle"));
        idleWatch.scheduleAtFixedRate(this::stopWhenIdle, 1, 1, TimeUnit.SECONDS);
        stopped.await();
        log("no invocation for " + idleExitMs / 1000 + " s, stopping");
        server.stop(0);
        workers.shutdownNow();
    }

    private void stopWhenIdle() {
        if (invocationsWaiting.get() == 0 && System.currentTimeMillis() - lastActivity.get() > idleExitMs) {
            stopped.countDown();
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.startsWith(RUNTIME)) {
                runtime(exchange, method, path.substring(RUNTIME.length()));
            } else if (path.startsWith(INVOKE_PREFIX) && path.endsWith(INVOKE_SUFFIX)) {
                if (allowed(exchange, method, "POST")) {
                    invoke(exchange);
                }
            } else {
                send(exchange, 404, errorJson("ResourceNotFound", "no such path: " + path), Map.of());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void runtime(HttpExchange exchange, String method, String route) throws IOException, InterruptedException {
        String[] parts = route.split("/");
        if (route.equals("invocation/next")) {
            if (allowed(exchange, method, "GET")) {
                next(exchange);
            }
        } else if (parts.length == 3 && parts[0].equals("invocation") && parts[2].equals("response")) {
            if (allowed(exchange, method, "POST")) {
                answer(exchange, parts[1], false);
            }
        } else if (parts.length == 3 && parts[0].equals("invocation") && parts[2].equals("error")) {
            if (allowed(exchange, method, "POST")) {
                answer(exchange, parts[1], true);
            }
        } else if (route.equals("init/error")) {
            if (allowed(exchange, method, "POST")) {
                initError(exchange);
            }
        } else {
            send(exchange, 404, errorJson("ResourceNotFound", "no such runtime route: " + route), Map.of());
        }
    }

    /** GET invocation/next: parks until an event arrives; the emulator's own lifetime bounds the wait. */
    private void next(HttpExchange exchange) throws IOException, InterruptedException {
        if (!runtimeHasPolled) {
            runtimeHasPolled = true;
            log("runtime initialized: first request for the next invocation");
        }
        Invocation invocation = null;
        while (invocation == null && stopped.getCount() > 0) {
            invocation = queued.poll(1, TimeUnit.SECONDS);
            if (invocation != null && invocation.answer.isDone()) {
                invocation = null; // its caller already gave up waiting
            }
        }
        if (invocation == null) {
            return;
        }
        long deadline = System.currentTimeMillis() + timeoutMs;
        invocation.handedOutAtNanos = System.nanoTime();
        invocation.deadlineEpochMs = deadline;
        handedOut.put(invocation.requestId, invocation);
        invocation.pickedUp.complete(null);
        Map<String, String> headers = new HashMap<>();
        headers.put("Lambda-Runtime-Aws-Request-Id", invocation.requestId);
        headers.put("Lambda-Runtime-Deadline-Ms", Long.toString(deadline));
        headers.put("Lambda-Runtime-Invoked-Function-Arn", functionArn);
        headers.put("Lambda-Runtime-Trace-Id", traceId());
        log("START RequestId: " + invocation.requestId);
        send(exchange, 200, invocation.event, headers);
    }

    /** POST invocation/{id}/response or .../error. */
    private void answer(HttpExchange exchange, String requestId, boolean isError) throws IOException {
        byte[] body = readBody(exchange);
        Invocation invocation = handedOut.remove(requestId);
        if (invocation == null) {
            send(exchange, 400, errorJson("InvalidRequestID", "no invocation waits for request id " + requestId),
                    Map.of());
            return;
        }
        if (body == null) {
            invocation.answer.complete(Answer.functionError(errorJson("Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size (" + MAX_PAYLOAD_BYTES + " bytes).")));
            send(exchange, 413, errorJson("RequestEntityTooLarge", "payload over " + MAX_PAYLOAD_BYTES + " bytes"),
                    Map.of());
            return;
        }
        String errorType = exchange.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type");
        invocation.answer.complete(isError ? Answer.functionError(body) : Answer.response(body));
        log("END RequestId: " + requestId);
        log(String.format(Locale.ROOT, "REPORT RequestId: %s Duration: %.2f ms%s", requestId,
                (System.nanoTime() - invocation.handedOutAtNanos) / 1e6,
                isError ? " Error: " + (errorType == null ? "unknown" : errorType) : ""));
        send(exchange, 202, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** POST init/error: the function could not start, so every waiting and later invocation gets this error. */
    private void initError(HttpExchange exchange) throws IOException {
        byte[] body = readBody(exchange);
        Answer answer = Answer.functionError(body == null ? errorJson("Runtime.InitError", "init failed") : body);
        initError = answer;
        log("init error: " + new String(answer.body, StandardCharsets.UTF_8));
        for (Invocation invocation : queued) {
            invocation.answer.complete(answer);
        }
        for (Invocation invocation : handedOut.values()) {
            invocation.answer.complete(answer);
        }
        send(exchange, 202, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** POST /2015-03-31/functions/{name}/invocations: one synchronous invocation, like Lambda's Invoke API. */
    private void invoke(HttpExchange exchange) throws IOException, InterruptedException {
        invocationsWaiting.incrementAndGet();
        try {
            lastActivity.set(System.currentTimeMillis());
            byte[] event = readBody(exchange);
            if (event == null) {
                send(exchange, 413, errorJson("RequestTooLargeException",
                        "Request must be smaller than " + MAX_PAYLOAD_BYTES + " bytes for the InvokeFunction operation"),
                        Map.of());
                return;
            }
            Answer answer = initError != null ? initError : invokeAndWait(event);
            Map<String, String> headers = answer.status == 200 && answer.functionError
                    ? Map.of("X-Amz-Function-Error", "Unhandled")
                    : Map.of();
            send(exchange, answer.status, answer.body, headers);
        } finally {
            lastActivity.set(System.currentTimeMillis());
            invocationsWaiting.decrementAndGet();
        }
    }

    private Answer invokeAndWait(byte[] event) throws InterruptedException {
        Invocation invocation = new Invocation(UUID.randomUUID().toString(), event);
        queued.add(invocation);
        try {
            // An init error answers the event before any runtime picks it up.
            CompletableFuture.anyOf(invocation.pickedUp, invocation.answer).get(initTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Answer gaveUp = Answer.notRun(errorJson("Runtime.Unavailable",
                    "the runtime did not ask for the next invocation within " + initTimeoutMs / 1000 + " s"));
            invocation.answer.complete(gaveUp);
            queued.remove(invocation);
            return invocation.answer.getNow(gaveUp);
        } catch (ExecutionException e) {
            throw new IllegalStateException("these futures are never completed exceptionally", e);
        }
        if (invocation.answer.isDone()) {
            return invocation.answer.getNow(null);
        }
        long remaining = invocation.deadlineEpochMs - System.currentTimeMillis();
        try {
            return invocation.answer.get(Math.max(remaining, 0), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            handedOut.remove(invocation.requestId);
            Answer timedOut = Answer.functionError(errorJson("Sandbox.Timedout", String.format(Locale.ROOT,
                    "%s %s Task timed out after %.2f seconds", Instant.now(), invocation.requestId, timeoutMs / 1000.0)));
            invocation.answer.complete(timedOut);
            log("REPORT RequestId: " + invocation.requestId + " Status: timeout");
            return invocation.answer.getNow(timedOut);
        } catch (ExecutionException e) {
            throw new IllegalStateException("these futures are never completed exceptionally", e);
        }
    }

    /** The body, or null when it exceeds Lambda's payload limit. */
    private static byte[] readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_PAYLOAD_BYTES + 1);
            return body.length > MAX_PAYLOAD_BYTES ? null : body;
        }
    }

    /** Whether the method is the route's; if not, answers 405. */
    private static boolean allowed(HttpExchange exchange, String method, String expected) throws IOException {
        if (method.equals(expected)) {
            return true;
        }
        send(exchange, 405, errorJson("MethodNotAllowed", "use " + expected), Map.of("Allow", expected));
        return false;
    }

    private static void send(HttpExchange exchange, int status, byte[] body, Map<String, String> headers)
            throws IOException {
        headers.forEach(exchange.getResponseHeaders()::set);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private String traceId() {
        byte[] bytes = new byte[20];
        random.nextBytes(bytes);
        HexFormat hex = HexFormat.of();
        String epochSeconds = Long.toHexString(System.currentTimeMillis() / 1000);
        return "Root=1-" + epochSeconds + "-" + hex.formatHex(bytes, 0, 12)
                + ";Parent=" + hex.formatHex(bytes, 12, 20) + ";Sampled=0";
    }

    private static byte[] errorJson(String type, String message) {
        String json = "{\"errorType\":\"" + jsonEscape(type) + "\",\"errorMessage\":\"" + jsonEscape(message) + "\"}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static String jsonEscape(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                escaped.append('\\').append(c);
            } else if (c < 0x20) {
                escaped.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                escaped.append(c);
            }
        }
        return escaped.toString();
    }

    private static void log(String message) {
        LOG.println("lambda-local " + Instant.now() + " " + message);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                LOG.println("usage: java LambdaRuntimeEmulator.java [--port N (0 = any free port)] [--port-file FILE]"
                        + " [--function-name NAME] [--region REGION] [--timeout-seconds S]"
                        + " [--init-timeout-seconds S] [--idle-exit-seconds S]");
                System.exit(2);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private static long seconds(Map<String, String> options, String name, long defaultSeconds) {
        return Long.parseLong(options.getOrDefault(name, Long.toString(defaultSeconds))) * 1000;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static final class Invocation {
        final String requestId;
        final byte[] event;
        final CompletableFuture<Void> pickedUp = new CompletableFuture<>();
        final CompletableFuture<Answer> answer = new CompletableFuture<>();
        volatile long deadlineEpochMs;
        volatile long handedOutAtNanos;

        Invocation(String requestId, byte[] event) {
            this.requestId = requestId;
            this.event = event;
        }
    }

    /** What the caller of the Invoke API receives. */
    private record Answer(int status, boolean functionError, byte[] body) {
        static Answer response(byte[] body) {
            return new Answer(200, false, body);
        }

        static Answer functionError(byte[] body) {
            return new Answer(200, true, body);
        }

        static Answer notRun(byte[] body) {
            return new Answer(502, false, body);
        }
    }
}
