import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A fake AWS Step Functions endpoint for running the packaged functions locally: the functions' real AWS SDK
 * client talks to it as to AWS, through {@code RUNMETER_STEP_FUNCTIONS_ENDPOINT_OVERRIDE}. JDK only:
 * {@code java FakeStepFunctions.java [options]}.
 *
 * <p>It speaks the AWS JSON 1.0 protocol ({@code POST /}, {@code X-Amz-Target: AWSStepFunctions.<Operation>},
 * {@code Content-Type: application/x-amz-json-1.0}) for the three operations runmeter uses:
 * <ul>
 * <li>StartExecution: answers {@code {"executionArn", "startDate"}}, the ARN being the state machine's with
 * {@code :stateMachine:} replaced by {@code :execution:} and the execution's name appended. The execution is then
 * RUNNING. Starting the same name again with the same input answers the same (as AWS does for a running Standard
 * execution); with another input it is {@code ExecutionAlreadyExists}.
 * <li>StopExecution: a known execution becomes ABORTED; answers {@code {"stopDate"}}.
 * <li>DescribeExecution: the execution as started here, or as the executions file (below) describes it.
 * </ul>
 * An execution it does not know is {@code ExecutionDoesNotExist} (HTTP 400), and a request without a SigV4
 * {@code Authorization} header is {@code MissingAuthenticationTokenException}, as with AWS.
 *
 * <p>The executions file lets a script seed executions that were never started here; it is read again on every
 * request, one execution per line, tab-separated: {@code executionArn status startDate [stopDate [error [cause]]]},
 * instants in ISO-8601 ({@code -} for none); empty lines and lines starting with {@code #} are ignored.
 *
 * <p>Every request is appended to the requests file as one JSON line,
 * {@code {"target", "contentType", "credentialScope", "status", "body"}} (the body as it came, on one line), so a
 * script can assert what the function sent. The fake listens on 127.0.0.1 only, answers one request at a time, and
 * exits by itself after {@code --idle-exit-seconds} without a request.
 */
public class FakeStepFunctions {

    private static final String TARGET_PREFIX = "AWSStepFunctions.";
    private static final String JSON_1_0 = "application/x-amz-json-1.0";
    private static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final PrintStream LOG = System.err;

    private final Path requestsFile;
    private final Path executionsFile;
    private final long idleExitMs;
    /** Executions started (and stopped) through this fake, by ARN, in start order. */
    private final Map<String, Execution> started = new LinkedHashMap<>();
    private final AtomicLong lastRequest = new AtomicLong(System.currentTimeMillis());
    private final CountDownLatch stopped = new CountDownLatch(1);

    private FakeStepFunctions(Path requestsFile, Path executionsFile, long idleExitMs) {
        this.requestsFile = requestsFile;
        this.executionsFile = executionsFile;
        this.idleExitMs = idleExitMs;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        String requests = options.get("requests-file");
        String executions = options.get("executions-file");
        FakeStepFunctions fake = new FakeStepFunctions(requests == null ? null : Path.of(requests),
                executions == null ? null : Path.of(executions),
                Long.parseLong(options.getOrDefault("idle-exit-seconds", "600")) * 1000);
        fake.serve(Integer.parseInt(options.getOrDefault("port", "0")), options.get("port-file"));
    }

    private void serve(int port, String portFile) throws IOException, InterruptedException {
        // Without TCP_NODELAY, headers and body written apart wait ~40 ms for a delayed ACK on every exchange.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 16);
        // No executor: requests are handled one at a time on the server's thread, so the state needs no locking.
        server.createContext("/", this::handle);
        server.start();
        int boundPort = server.getAddress().getPort();
        log("Step Functions fake listening on 127.0.0.1:" + boundPort);
        if (portFile != null) {
            // Written only once the socket accepts connections, and atomically, so a poller never reads half a number.
            Path partial = Path.of(portFile + ".partial");
            Files.writeString(partial, Integer.toString(boundPort));
            Files.move(partial, Path.of(portFile), StandardCopyOption.ATOMIC_MOVE);
        }
        ScheduledExecutorService idleWatch = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "fake-sfn-idle");
            thread.setDaemon(true);
            return thread;
        });
        idleWatch.scheduleAtFixedRate(() -> {
            if (System.currentTimeMillis() - lastRequest.get() > idleExitMs) {
                stopped.countDown();
            }
        }, 1, 1, TimeUnit.SECONDS);
        stopped.await();
        log("no request for " + idleExitMs / 1000 + " s, stopping");
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            lastRequest.set(System.currentTimeMillis());
            String target = header(exchange, "X-Amz-Target");
            String contentType = header(exchange, "Content-Type");
            String authorization = header(exchange, "Authorization");
            byte[] raw = exchange.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
            String body = new String(raw, StandardCharsets.UTF_8);
            Reply reply;
            try {
                reply = reply(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), target, authorization,
                        raw.length > MAX_BODY_BYTES ? null : body);
            } catch (RuntimeException e) {
                log("fault answering " + target + ": " + e);
                reply = Reply.error(500, "InternalFailure", "the fake failed: " + e.getMessage());
            }
            record(target, contentType, authorization, reply.status, body);
            log(reply.status + " " + target);
            byte[] out = reply.body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", JSON_1_0);
            exchange.sendResponseHeaders(reply.status, out.length);
            try (OutputStream stream = exchange.getResponseBody()) {
                stream.write(out);
            }
        }
    }

    private Reply reply(String method, String path, String target, String authorization, String body) {
        if (!method.equals("POST") || !path.equals("/")) {
            return Reply.error(404, "UnknownOperationException", "the JSON protocol is POST /");
        }
        if (authorization == null || !authorization.startsWith("AWS4-HMAC-SHA256 ")) {
            return Reply.error(400, "MissingAuthenticationTokenException", "Missing Authentication Token");
        }
        if (body == null) {
            return Reply.error(413, "RequestEntityTooLarge", "the request is larger than " + MAX_BODY_BYTES + " bytes");
        }
        Map<String, Object> request;
        try {
            Object parsed = new Json(body).document();
            if (!(parsed instanceof Map)) {
                return Reply.error(400, "SerializationException", "the body must be a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) parsed;
            request = object;
        } catch (IllegalArgumentException e) {
            return Reply.error(400, "SerializationException", e.getMessage());
        }
        String operation = target == null || !target.startsWith(TARGET_PREFIX) ? ""
                : target.substring(TARGET_PREFIX.length());
        return switch (operation) {
            case "StartExecution" -> startExecution(request);
            case "StopExecution" -> stopExecution(request);
            case "DescribeExecution" -> describeExecution(request);
            default -> Reply.error(400, "UnknownOperationException", "unknown operation " + target);
        };
    }

    private Reply startExecution(Map<String, Object> request) {
        String stateMachineArn = text(request, "stateMachineArn");
        String name = text(request, "name");
        String input = text(request, "input");
        if (stateMachineArn == null || !stateMachineArn.contains(":stateMachine:")) {
            return Reply.error(400, "InvalidArn", "Invalid Arn: '" + stateMachineArn + "'");
        }
        if (name == null || name.isEmpty() || name.length() > 80) {
            return Reply.error(400, "InvalidName", "Invalid Name: '" + name + "'");
        }
        String executionArn = stateMachineArn.replaceFirst(":stateMachine:", ":execution:") + ":" + name;
        Execution existing = started.get(executionArn);
        if (existing != null) {
            if (existing.status.equals("RUNNING") && Objects.equals(existing.input, input)) {
                return Reply.ok(startAnswer(existing));
            }
            return Reply.error(400, "ExecutionAlreadyExists", "Execution Already Exists: '" + executionArn + "'");
        }
        Execution execution = new Execution(executionArn, "RUNNING", Instant.now(), null, null, null, input);
        started.put(executionArn, execution);
        return Reply.ok(startAnswer(execution));
    }

    private static String startAnswer(Execution execution) {
        return "{\"executionArn\":" + quote(execution.arn) + ",\"startDate\":" + epochSeconds(execution.startDate)
                + "}";
    }

    private Reply stopExecution(Map<String, Object> request) {
        String executionArn = text(request, "executionArn");
        Execution execution = find(executionArn);
        if (execution == null) {
            return doesNotExist(executionArn);
        }
        if (execution.status.equals("RUNNING")) {
            execution = new Execution(execution.arn, "ABORTED", execution.startDate, Instant.now(),
                    text(request, "error"), text(request, "cause"), execution.input);
            started.put(execution.arn, execution);
        }
        return Reply.ok("{\"stopDate\":" + epochSeconds(execution.stopDate) + "}");
    }

    private Reply describeExecution(Map<String, Object> request) {
        String executionArn = text(request, "executionArn");
        Execution execution = find(executionArn);
        if (execution == null) {
            return doesNotExist(executionArn);
        }
        StringBuilder answer = new StringBuilder("{\"executionArn\":").append(quote(execution.arn))
                .append(",\"stateMachineArn\":").append(quote(execution.stateMachineArn()))
                .append(",\"name\":").append(quote(execution.name()))
                .append(",\"status\":").append(quote(execution.status))
                .append(",\"startDate\":").append(epochSeconds(execution.startDate));
        if (execution.stopDate != null) {
            answer.append(",\"stopDate\":").append(epochSeconds(execution.stopDate));
        }
        if (execution.input != null) {
            answer.append(",\"input\":").append(quote(execution.input));
        }
        if (execution.error != null) {
            answer.append(",\"error\":").append(quote(execution.error));
        }
        if (execution.cause != null) {
            answer.append(",\"cause\":").append(quote(execution.cause));
        }
        return Reply.ok(answer.append('}').toString());
    }

    private static Reply doesNotExist(String executionArn) {
        return Reply.error(400, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + executionArn + "'");
    }

    /** An execution started here wins over one the executions file describes. */
    private Execution find(String executionArn) {
        if (executionArn == null) {
            return null;
        }
        Execution execution = started.get(executionArn);
        return execution != null ? execution : seeded().get(executionArn);
    }

    private Map<String, Execution> seeded() {
        Map<String, Execution> executions = new HashMap<>();
        if (executionsFile == null || !Files.exists(executionsFile)) {
            return executions;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(executionsFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + executionsFile + ": " + e.getMessage(), e);
        }
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            if (fields.length < 3) {
                throw new IllegalStateException("an execution line needs arn, status and startDate: " + line);
            }
            try {
                executions.put(fields[0], new Execution(fields[0], fields[1], Instant.parse(fields[2]),
                        field(fields, 3) == null ? null : Instant.parse(fields[3]), field(fields, 4), field(fields, 5),
                        null));
            } catch (DateTimeParseException e) {
                throw new IllegalStateException("not an ISO-8601 instant in: " + line, e);
            }
        }
        return executions;
    }

    private static String field(String[] fields, int index) {
        return index < fields.length && !fields[index].isEmpty() && !fields[index].equals("-") ? fields[index] : null;
    }

    private void record(String target, String contentType, String authorization, int status, String body)
            throws IOException {
        if (requestsFile == null) {
            return;
        }
        String line = "{\"target\":" + quote(target) + ",\"contentType\":" + quote(contentType)
                + ",\"credentialScope\":" + quote(credentialScope(authorization)) + ",\"status\":" + status
                + ",\"body\":" + (isJson(body) ? body.replace("\r", "").replace("\n", "") : quote(body)) + "}\n";
        Files.writeString(requestsFile, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /** Whether the body is JSON, so that it can stand in a requests line as it came and keep the line JSON. */
    private static boolean isJson(String body) {
        try {
            new Json(body).document();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** {@code <access key id>/<date>/<region>/<service>/aws4_request}: who signed, for which region and service. */
    private static String credentialScope(String authorization) {
        if (authorization == null) {
            return null;
        }
        int start = authorization.indexOf("Credential=");
        if (start < 0) {
            return null;
        }
        int end = authorization.indexOf(',', start);
        return authorization.substring(start + "Credential=".length(), end < 0 ? authorization.length() : end).trim();
    }

    private static String header(HttpExchange exchange, String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    private static String text(Map<String, Object> object, String field) {
        return object.get(field) instanceof String value ? value : null;
    }

    /** Epoch seconds with milliseconds, the JSON protocol's timestamp format. */
    private static String epochSeconds(Instant instant) {
        return BigDecimal.valueOf(instant.toEpochMilli(), 3).toPlainString();
    }

    private static String quote(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20) {
                quoted.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }

    private static void log(String message) {
        LOG.println("fake-sfn " + Instant.now() + " " + message);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                LOG.println("usage: java FakeStepFunctions.java [--port N (0 = any free port)] [--port-file FILE]"
                        + " [--requests-file FILE] [--executions-file FILE] [--idle-exit-seconds S]");
                System.exit(2);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private record Execution(String arn, String status, Instant startDate, Instant stopDate, String error,
            String cause, String input) {

        /** arn:aws:states:region:account:execution:stateMachineName:executionName */
        String stateMachineArn() {
            return arn.substring(0, arn.lastIndexOf(':')).replaceFirst(":execution:", ":stateMachine:");
        }

        String name() {
            return arn.substring(arn.lastIndexOf(':') + 1);
        }
    }

    private record Reply(int status, String body) {
        static Reply ok(String body) {
            return new Reply(200, body);
        }

        /** An AWS JSON-protocol error document. */
        static Reply error(int status, String type, String message) {
            return new Reply(status, "{\"__type\":" + quote(type) + ",\"message\":" + quote(message) + "}");
        }
    }

    /** Just enough of a JSON reader for request bodies: objects, arrays, strings, numbers, literals. */
    private static final class Json {
        private final String text;
        private int at;

        Json(String text) {
            this.text = text;
        }

        Object document() {
            Object value = value(0);
            skipSpace();
            if (at != text.length()) {
                throw new IllegalArgumentException("trailing characters at " + at);
            }
            return value;
        }

        private Object value(int depth) {
            if (depth > 64) {
                throw new IllegalArgumentException("nested too deeply");
            }
            skipSpace();
            if (at >= text.length()) {
                throw new IllegalArgumentException("unexpected end of JSON");
            }
            char c = text.charAt(at);
            if (c == '{') {
                return object(depth);
            }
            if (c == '[') {
                return array(depth);
            }
            if (c == '"') {
                return string();
            }
            for (String literal : new String[] {"true", "false", "null"}) {
                if (text.startsWith(literal, at)) {
                    at += literal.length();
                    return literal.equals("null") ? null : Boolean.valueOf(literal);
                }
            }
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            if (start == at) {
                throw new IllegalArgumentException("unexpected '" + c + "' at " + at);
            }
            try {
                return new BigDecimal(text.substring(start, at));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number at " + start);
            }
        }

        private Map<String, Object> object(int depth) {
            Map<String, Object> object = new LinkedHashMap<>();
            at++;
            skipSpace();
            if (peek() == '}') {
                at++;
                return object;
            }
            while (true) {
                skipSpace();
                if (peek() != '"') {
                    throw new IllegalArgumentException("expected a field name at " + at);
                }
                String name = string();
                skipSpace();
                expect(':');
                object.put(name, value(depth + 1));
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect('}');
                    return object;
                }
            }
        }

        private List<Object> array(int depth) {
            List<Object> array = new ArrayList<>();
            at++;
            skipSpace();
            if (peek() == ']') {
                at++;
                return array;
            }
            while (true) {
                array.add(value(depth + 1));
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect(']');
                    return array;
                }
            }
        }

        private String string() {
            StringBuilder value = new StringBuilder();
            at++;
            while (true) {
                if (at >= text.length()) {
                    throw new IllegalArgumentException("unterminated string");
                }
                char c = text.charAt(at++);
                if (c == '"') {
                    return value.toString();
                }
                if (c != '\\') {
                    value.append(c);
                    continue;
                }
                if (at >= text.length()) {
                    throw new IllegalArgumentException("unterminated escape");
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case '"', '\\', '/' -> value.append(escaped);
                    case 'b' -> value.append('\b');
                    case 'f' -> value.append('\f');
                    case 'n' -> value.append('\n');
                    case 'r' -> value.append('\r');
                    case 't' -> value.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw new IllegalArgumentException("short \\u escape");
                        }
                        try {
                            value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("bad \\u escape at " + at);
                        }
                        at += 4;
                    }
                    default -> throw new IllegalArgumentException("bad escape \\" + escaped);
                }
            }
        }

        private char peek() {
            return at < text.length() ? text.charAt(at) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + at);
            }
            at++;
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }
    }
}
