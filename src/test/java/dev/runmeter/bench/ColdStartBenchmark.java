package dev.runmeter.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Measure 4 of BENCHMARKS.md: each packaged function (target/function.zip) started the way AWS Lambda starts a Java
 * function, through tools/lambda-local/run.sh (AWS's runtime interface client against a local Runtime API), timed
 * from JVM launch to its first answered invocation, with the function JVM's RSS and heap right after that answer.
 * The baseline is the second (warm) invocation of the same JVM. Runs after packaging (Failsafe, bench profile).
 */
class ColdStartBenchmark {

    private static final int ROUNDS = Integer.getInteger("bench.coldStartRounds", 3);
    private static final List<String> HANDLERS = List.of("usage", "runs", "run-finalizer", "sweep");
    private static final Pattern FIRST_ANSWER = Pattern.compile("JVM launch to first answered invocation: (\\d+) ms");
    private static final Pattern ANSWERED = Pattern.compile(": answered in (\\d+) ms");
    private static final Pattern MEMORY = Pattern.compile(
            "after the first answer: RSS (\\d+) kB, heap used (\\d+) kB of (\\d+) kB committed");
    private static final String SAMPLE_USER = "3f1c2a9e-5b7d-4e21-9c0a-7d2b6e8f1a43";

    private final Path work = Path.of("target", "bench", "cold-start");

    record Start(long firstAnswerMs, long warmMs, long rssKb, long heapUsedKb, long heapCommittedKb) {
    }

    @Test
    void coldStartOfEachFunction() throws Exception {
        Files.createDirectories(work);
        Report report = new Report("cold-start.md");
        FakeStepFunctions stepFunctions = new FakeStepFunctions();
        Map<String, String> fake = stepFunctions.start();
        try (EmbeddedPostgres database = BenchDatabase.startServer()) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("QUARKUS_DATASOURCE_JDBC_URL", database.getJdbcUrl("postgres", "postgres"));
            env.put("QUARKUS_DATASOURCE_USERNAME", "postgres");
            env.put("QUARKUS_DATASOURCE_PASSWORD", "postgres");
            env.put("RUNMETER_STEP_FUNCTIONS_ENDPOINT_OVERRIDE", fake.get("runmeter.step-functions.endpoint-override"));
            env.put("RUNMETER_STEP_FUNCTIONS_STATE_MACHINE_ARN", FakeStepFunctions.STATE_MACHINE_ARN);
            env.put("AWS_ACCESS_KEY_ID", "AKIDTESTONLY");
            env.put("AWS_SECRET_ACCESS_KEY", "test-only-secret");
            env.put("LAMBDA_LOCAL_REPORT_MEMORY", "1");

            // schema, and the file cache warm for the jars: not measured
            Map<String, String> migrate = new LinkedHashMap<>(env);
            migrate.put("QUARKUS_FLYWAY_MIGRATE_AT_START", "true");
            run("migrate", "usage", migrate, List.of(Path.of("events", "http-api-get-usage.json")));

            Map<String, List<Start>> starts = new LinkedHashMap<>();
            for (int round = 1; round <= ROUNDS; round++) {
                for (String handler : HANDLERS) {
                    List<Path> events = events(handler, round, database);
                    starts.computeIfAbsent(handler, h -> new ArrayList<>())
                            .add(run(handler + "-" + round, handler, env, events));
                }
            }

            report.line("# Cold start, JVM (tools/lambda-local/run.sh)");
            report.line("");
            report.line(String.format(Locale.ROOT, "%d rounds; in each round every function is started once, in "
                    + "turn, and sent two events: the first answer is the cold start, the second the warm baseline. "
                    + "Function memory 512 MB (heap limit 85 %%), C1 only, serial GC, as run.sh sets it. Medians, "
                    + "with the range over the rounds.", ROUNDS));
            report.line("");
            report.line("| function | first event | JVM launch to first answer, ms | warm answer, ms | cold / warm "
                    + "| RSS after first answer, MB | heap used / committed, MB |");
            report.line("|---|---|---:|---:|---:|---:|---:|");
            for (String handler : HANDLERS) {
                List<Start> measured = starts.get(handler);
                long cold = median(measured.stream().mapToLong(Start::firstAnswerMs).toArray());
                long warm = median(measured.stream().mapToLong(Start::warmMs).toArray());
                report.line(String.format(Locale.ROOT, "| `%s` | %s | **%,d** (%,d-%,d) | %d | %s | %.0f (%.0f-%.0f) "
                        + "| %.0f / %.0f |", handler, firstEvent(handler), cold,
                        measured.stream().mapToLong(Start::firstAnswerMs).min().getAsLong(),
                        measured.stream().mapToLong(Start::firstAnswerMs).max().getAsLong(), warm,
                        Samples.ratio((double) cold / Math.max(1, warm)),
                        median(measured.stream().mapToLong(Start::rssKb).toArray()) / 1024.0,
                        measured.stream().mapToLong(Start::rssKb).min().getAsLong() / 1024.0,
                        measured.stream().mapToLong(Start::rssKb).max().getAsLong() / 1024.0,
                        median(measured.stream().mapToLong(Start::heapUsedKb).toArray()) / 1024.0,
                        median(measured.stream().mapToLong(Start::heapCommittedKb).toArray()) / 1024.0));
            }
        } finally {
            stepFunctions.stop();
        }
    }

    private static String firstEvent(String handler) {
        return switch (handler) {
            case "usage" -> "`GET /v1/usage` (sample event)";
            case "runs" -> "`POST /v1/runs`: a start, StartExecution to the fake";
            case "run-finalizer" -> "`succeeded` for a running run";
            default -> "EventBridge `Scheduled Event` (mode all)";
        };
    }

    /** Two events for the handler, both real work: two starts, two finalizations of different runs. */
    private List<Path> events(String handler, int round, EmbeddedPostgres database) throws Exception {
        return switch (handler) {
            case "usage" -> List.of(Path.of("events", "http-api-get-usage.json"),
                    Path.of("events", "http-api-get-usage.json"));
            case "runs" -> List.of(write("start-" + round + "-a.json", HttpApiEvent.post("/v1/runs").user(SAMPLE_USER)
                            .header("idempotency-key", "cold-" + round + "-a").body("{\"threadId\": \"t\"}").json()),
                    write("start-" + round + "-b.json", HttpApiEvent.post("/v1/runs").user(SAMPLE_USER)
                            .header("idempotency-key", "cold-" + round + "-b").body("{\"threadId\": \"t\"}").json()));
            case "run-finalizer" -> List.of(
                    write("finalize-" + round + "-a.json", finalization(runningRun(database))),
                    write("finalize-" + round + "-b.json", finalization(runningRun(database))));
            default -> List.of(Path.of("events", "eventbridge-scheduled.json"),
                    Path.of("events", "eventbridge-scheduled.json"));
        };
    }

    private static String finalization(UUID run) {
        return "{\"runId\": \"" + run + "\", \"outcome\": \"succeeded\"}";
    }

    private static UUID runningRun(EmbeddedPostgres database) throws SQLException {
        UUID id = UUID.randomUUID();
        try (Connection connection = database.getPostgresDatabase().getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO agent_runs (id, user_id, status, "
                        + "started_at, execution_arn) VALUES (?, 'cold-start-user', 'running', ?, ?)")) {
            insert.setObject(1, id);
            insert.setObject(2, Instant.now().minusSeconds(60).atOffset(java.time.ZoneOffset.UTC));
            insert.setString(3, FakeStepFunctions.EXECUTION_ARN_PREFIX + id);
            insert.executeUpdate();
        }
        return id;
    }

    private Path write(String name, String json) throws IOException {
        return Files.writeString(work.resolve(name), json);
    }

    private Start run(String name, String handler, Map<String, String> env, List<Path> events) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "tools/lambda-local/run.sh", handler));
        events.forEach(event -> command.add(event.toString()));
        Path out = work.resolve(name + ".out");
        Path log = work.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(log.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), name + " finished");
        String logText = Files.readString(log);
        assertEquals(0, process.exitValue(), name + ": every event answered without a function error; see " + log);
        List<String> answers = Files.readAllLines(out);
        assertEquals(events.size(), answers.size(), name + " answers");
        for (String answer : answers) {
            assertTrue(expectedAnswer(handler, answer), name + ": unexpected answer " + answer);
        }
        Matcher first = FIRST_ANSWER.matcher(logText);
        assertTrue(first.find(), name + ": first-answer time in " + log);
        Matcher answered = ANSWERED.matcher(logText);
        List<Long> exchanges = new ArrayList<>();
        while (answered.find()) {
            exchanges.add(Long.parseLong(answered.group(1)));
        }
        Matcher memory = MEMORY.matcher(logText);
        boolean hasMemory = memory.find();
        assertTrue(hasMemory, name + ": memory report in " + log);
        return new Start(Long.parseLong(first.group(1)), exchanges.get(exchanges.size() - 1),
                Long.parseLong(memory.group(1)), Long.parseLong(memory.group(2)), Long.parseLong(memory.group(3)));
    }

    private static boolean expectedAnswer(String handler, String answer) {
        return switch (handler) {
            case "usage" -> answer.startsWith("{\"statusCode\":200");
            case "runs" -> answer.startsWith("{\"statusCode\":202");
            case "run-finalizer" -> answer.contains("\"status\":\"completed\"");
            default -> answer.contains("\"mode\":\"all\"");
        };
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
