package dev.runmeter.bench;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import javax.sql.DataSource;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The benchmark's data set, the same for every run with the same seed and sizes: agent runs of many users from
 * September to the benchmark's "now" (2026-11-20T12:00Z), shaped like the original product's data:
 * log-normal durations around three minutes with a tail to the two-hour time box, a few per cent crashed
 * (heartbeat timeouts, and stuck runs the sweep already settled), failures, stops, runs across month boundaries,
 * and the runs still in flight at "now". Nothing is overdue. Loaded with COPY.
 */
final class BenchData {

    static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
    static final String MONTH = "2026-11";
    static final Instant MONTH_START = Instant.parse("2026-11-01T00:00:00Z");
    static final Instant WINDOW_START = Instant.parse("2026-09-01T00:00:00Z");
    static final Duration TIME_BOX = Duration.ofHours(2);
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofMinutes(10);
    static final String EXECUTION_PREFIX = "arn:aws:states:us-east-1:123456789012:execution:runmeter-agent-run:";
    static final String HEAVY_USER = "heavy-user";
    /** The plan of the users that the start benchmark starts runs for: far from its limit. */
    static final String ROOMY_PLAN = "tier_200_1000";

    private static final String COPY = "COPY agent_runs (id, user_id, thread_id, status, started_at, completed_at, "
            + "failure_reason, error, execution_arn) FROM STDIN (FORMAT csv)";
    private static final int ROWS_PER_COPY = 100_000;
    private static final String[] PAID_PLANS = {
        "tier_2_20", "tier_6_50", "tier_12_100", "tier_25_200", "tier_50_400", "tier_125_800", ROOMY_PLAN};
    private static final String[] AGENT_ERRORS = {
        "ToolExecutionError: sandbox exited with code 137",
        "ModelProviderError: upstream returned 529 overloaded",
        "AgentError: context window exceeded"};
    private static final Instant[] MONTH_BOUNDARIES = {
        Instant.parse("2026-10-01T00:00:00Z"), Instant.parse("2026-11-01T00:00:00Z")};

    private final BenchSizes sizes;
    private final Random random;
    private final List<String> users = new ArrayList<>();
    /** Users on the roomy plan, for the start benchmark. */
    private final List<String> roomyUsers = new ArrayList<>();
    private final Map<String, Integer> novemberRuns = new HashMap<>();
    private final Map<String, Integer> statusCounts = new HashMap<>();
    private long monthCrossing;
    private long rows;

    BenchData(BenchSizes sizes) {
        this.sizes = sizes;
        this.random = new Random(sizes.seed());
    }

    List<String> users() {
        return users;
    }

    List<String> roomyUsers() {
        return roomyUsers;
    }

    long rows() {
        return rows;
    }

    Map<String, Integer> statusCounts() {
        return statusCounts;
    }

    long monthCrossing() {
        return monthCrossing;
    }

    static String growthUser(int runs) {
        return "growth-" + runs;
    }

    /** The user whose number of runs in November is the median among users with any. */
    String typicalUser() {
        List<Map.Entry<String, Integer>> active = new ArrayList<>(novemberRuns.entrySet());
        active.sort(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
        return active.get(active.size() / 2).getKey();
    }

    int novemberRuns(String user) {
        return novemberRuns.getOrDefault(user, 0);
    }

    /** Generates and loads everything: accounts, the users' runs, the heavy user and the growth users. */
    void load(DataSource dataSource) throws SQLException, java.io.IOException {
        try (Connection connection = dataSource.getConnection()) {
            CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder accounts = new StringBuilder();
            for (int i = 0; i < sizes.users(); i++) {
                String user = uuid().toString();
                users.add(user);
                String plan = i % 5 == 0 ? ROOMY_PLAN : random.nextDouble() < 0.3 ? null
                        : PAID_PLANS[random.nextInt(PAID_PLANS.length)];
                if (ROOMY_PLAN.equals(plan)) {
                    roomyUsers.add(user);
                }
                if (plan != null) {
                    accounts.append(user).append(',').append(plan).append('\n');
                }
            }
            accounts.append(HEAVY_USER).append(',').append(ROOMY_PLAN).append('\n');
            for (int runs : sizes.growthRuns()) {
                accounts.append(growthUser(runs)).append(',').append(ROOMY_PLAN).append('\n');
            }
            copy.copyIn("COPY accounts (user_id, plan) FROM STDIN (FORMAT csv)", new StringReader(accounts.toString()));

            double[] cumulativeWeight = userWeights();
            StringBuilder batch = new StringBuilder();
            long windowMs = NOW.toEpochMilli() - WINDOW_START.toEpochMilli();
            for (int i = 0; i < sizes.runs(); i++) {
                String user = users.get(pick(cumulativeWeight));
                Instant start;
                if (random.nextDouble() < 0.005) {
                    // runs started shortly before midnight at a month's end bill in two months
                    start = MONTH_BOUNDARIES[random.nextInt(MONTH_BOUNDARIES.length)]
                            .minusMillis((long) (random.nextDouble() * 30 * 60_000));
                } else {
                    start = WINDOW_START.plusMillis((long) (random.nextDouble() * windowMs));
                }
                run(batch, user, start);
                flushIfFull(copy, batch);
            }
            monthUser(batch, copy, HEAVY_USER, sizes.heavyRuns());
            for (int runs : sizes.growthRuns()) {
                monthUser(batch, copy, growthUser(runs), runs);
            }
            flush(copy, batch);
        }
    }

    /** {@code runs} runs of one user, all started in November before now. */
    private void monthUser(StringBuilder batch, CopyManager copy, String user, int runs) throws SQLException {
        long spanMs = NOW.toEpochMilli() - MONTH_START.toEpochMilli();
        for (int i = 0; i < runs; i++) {
            run(batch, user, MONTH_START.plusMillis((long) (random.nextDouble() * spanMs)));
            flushIfFull(copy, batch);
        }
    }

    /** Activity differs a lot between users: log-normal weights, cumulated for picking. */
    private double[] userWeights() {
        double[] cumulative = new double[users.size()];
        double sum = 0;
        for (int i = 0; i < cumulative.length; i++) {
            sum += Math.exp(random.nextGaussian());
            cumulative[i] = sum;
        }
        for (int i = 0; i < cumulative.length; i++) {
            cumulative[i] /= sum;
        }
        return cumulative;
    }

    private int pick(double[] cumulative) {
        int index = Arrays.binarySearch(cumulative, random.nextDouble());
        return Math.min(cumulative.length - 1, index >= 0 ? index : -index - 1);
    }

    /** One run: its outcome and end drawn at random; a run whose end would be after now is still running. */
    private void run(StringBuilder out, String user, Instant start) {
        // log-normal, median 3 minutes; about 1 run in 300 reaches the time box on its own
        long durationMs = Math.max(2_000, (long) Math.exp(Math.log(180_000) + 1.1 * random.nextGaussian()));
        double outcome = random.nextDouble();
        String status;
        String reason = null;
        String error = null;
        Instant end;
        if (outcome < 0.01 || durationMs >= TIME_BOX.toMillis()) {
            status = "failed";
            reason = "timeout";
            error = "Agent run exceeded 2.0 hour timeout";
            end = start.plus(TIME_BOX).plusMillis(random.nextInt(5_000));
        } else if (outcome < 0.03) { // crashed worker: the heartbeat timeout ends it
            status = "failed";
            reason = "heartbeat_timeout";
            end = start.plusMillis(durationMs).plus(HEARTBEAT_TIMEOUT);
        } else if (outcome < 0.034) { // crashed, and no execution knew: the sweep settled it
            status = "failed";
            reason = "stuck";
            end = start.plus(TIME_BOX).plus(Duration.ofMinutes(15 + random.nextInt(5)));
        } else if (outcome < 0.036) {
            status = "failed";
            reason = "start_failed";
            end = start.plusMillis(40 + random.nextInt(200));
        } else if (outcome < 0.066) {
            status = "failed";
            reason = "error";
            error = AGENT_ERRORS[random.nextInt(AGENT_ERRORS.length)];
            end = start.plusMillis(durationMs);
        } else if (outcome < 0.096) {
            status = "stopped";
            end = start.plusMillis(durationMs);
        } else {
            status = "completed";
            end = start.plusMillis(durationMs);
        }
        if (end.isAfter(NOW)) {
            if (start.isAfter(NOW.minus(TIME_BOX))) {
                status = "running";
                reason = null;
                error = null;
                end = null;
            } else {
                end = NOW; // nothing is overdue in this data set: the sweep has settled everything older
            }
        }
        UUID id = uuid();
        out.append(id).append(',').append(user).append(',');
        if (random.nextDouble() < 0.6) {
            out.append("thread-").append(random.nextInt(1_000_000));
        }
        out.append(',').append(status).append(',').append(start).append(',');
        if (end != null) {
            out.append(end);
        }
        out.append(',');
        if (reason != null) {
            out.append(reason);
        }
        out.append(',');
        if (error != null) {
            out.append('"').append(error).append('"');
        }
        out.append(',');
        if (!"start_failed".equals(reason)) {
            out.append(EXECUTION_PREFIX).append(id);
        }
        out.append('\n');
        rows++;
        statusCounts.merge(reason == null ? status : status + "/" + reason, 1, Integer::sum);
        if (!start.isBefore(MONTH_START)) {
            novemberRuns.merge(user, 1, Integer::sum);
        }
        for (Instant boundary : MONTH_BOUNDARIES) {
            if (start.isBefore(boundary) && (end == null || end.isAfter(boundary))) {
                monthCrossing++;
            }
        }
    }

    private UUID uuid() {
        return new UUID((random.nextLong() & ~0xF000L) | 0x4000L,
                (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L);
    }

    private void flushIfFull(CopyManager copy, StringBuilder batch) throws SQLException {
        if (rows % ROWS_PER_COPY == 0) {
            flush(copy, batch);
        }
    }

    private static void flush(CopyManager copy, StringBuilder batch) throws SQLException {
        if (batch.isEmpty()) {
            return;
        }
        try {
            copy.copyIn(COPY, new StringReader(batch.toString()));
        } catch (java.io.IOException e) {
            throw new SQLException(e);
        }
        batch.setLength(0);
    }

    /** Visibility map and statistics, as autovacuum would leave them on a table in production. */
    static void vacuumAnalyze(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("VACUUM ANALYZE agent_runs");
            statement.execute("VACUUM ANALYZE accounts");
            statement.execute("VACUUM ANALYZE usage_days");
        }
    }
}
