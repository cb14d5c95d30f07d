package dev.runmeter.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Writes the sample month that {@code ./mvnw quarkus:dev} loads: agent runs of a few hundred users in November
 * 2026 (plus the last days of October and the first of December), shaped like the original product's data,
 * crashed runs left {@code running} forever included. A fixed seed makes every run of this program write the
 * same file; SampleMonthFileTest holds the committed file to that.
 *
 * <p>Run from the repository root: {@code ./mvnw -q test-compile && java -cp target/test-classes
 * dev.runmeter.sample.SampleMonthGenerator}
 */
public final class SampleMonthGenerator {

    public static final Path FILE = Path.of("dev-data", "V1000__sample_month.sql");
    static final long SEED = 20261101L;
    static final int USERS = 300;
    static final int RUNS = 3400;
    static final int RUNS_PER_MONTH_BOUNDARY = 12;
    static final int PAID_ACCOUNTS = 30;
    /** Rows per INSERT: keeps the file small and each statement well inside PostgreSQL's limits. */
    static final int ROWS_PER_INSERT = 500;

    static final Instant WINDOW_START = Instant.parse("2026-10-29T00:00:00Z");
    static final Instant WINDOW_END = Instant.parse("2026-12-02T00:00:00Z");
    static final Duration TIME_BOX = Duration.ofHours(2);

    private static final String[] PAID_PLANS = {
        "tier_2_20", "tier_6_50", "tier_12_100", "tier_25_200", "tier_50_400", "tier_125_800", "tier_200_1000"};
    /** Where users' systems write timestamps from: the same instants, spelled with different offsets. */
    private static final ZoneOffset[] OFFSETS = {
        ZoneOffset.UTC, ZoneOffset.UTC, ZoneOffset.UTC, ZoneOffset.ofHours(-5), ZoneOffset.ofHours(-8),
        ZoneOffset.ofHours(1), ZoneOffset.ofHoursMinutes(5, 30), ZoneOffset.ofHours(9)};
    private static final String[] AGENT_ERRORS = {
        "ToolExecutionError: sandbox exited with code 137",
        "ModelProviderError: upstream returned 529 overloaded",
        "AgentError: context window exceeded",
        "BrowserError: navigation timed out after 30000 ms"};
    private static final DateTimeFormatter SQL_TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSxxx");

    record Run(UUID id, String userId, ZoneOffset offset, String status, Instant startedAt, Instant completedAt,
            String failureReason, String error) {
    }

    /** The sample: users (the first is the showcase user), paid accounts and runs, oldest run first. */
    record SampleMonth(List<String> userIds, List<String[]> accounts, List<Run> runs) {

        String showcaseUser() {
            return userIds.get(0);
        }
    }

    private final Random random = new Random(SEED);

    public static void main(String[] args) throws IOException {
        SampleMonth sample = generate();
        Files.createDirectories(FILE.getParent());
        Files.writeString(FILE, sql(sample));
        System.out.printf("Wrote %s: %d runs of %d users; showcase user %s%n",
                FILE, sample.runs().size(), sample.userIds().size(), sample.showcaseUser());
    }

    public static SampleMonth generate() {
        return new SampleMonthGenerator().sample();
    }

    private SampleMonth sample() {
        List<String> userIds = new ArrayList<>();
        List<ZoneOffset> offsets = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            userIds.add(uuid().toString());
            offsets.add(OFFSETS[random.nextInt(OFFSETS.length)]);
        }
        // Index 0 is the showcase user, who stays on the default (free) plan.
        List<String[]> accounts = new ArrayList<>();
        for (int i = 1; i <= PAID_ACCOUNTS; i++) {
            accounts.add(new String[] {userIds.get(i * 7), PAID_PLANS[random.nextInt(PAID_PLANS.length)]});
        }

        List<Run> runs = new ArrayList<>(showcaseRuns(userIds.get(0), offsets.get(0)));
        double[] cumulativeActivity = cumulativeActivity();
        for (int i = 0; i < RUNS; i++) {
            int user = 1 + pick(cumulativeActivity);
            runs.add(run(userIds.get(user), offsets.get(user), diurnalStart(), ordinaryDuration()));
        }
        for (Instant boundary : List.of(Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-12-01T00:00:00Z"))) {
            for (int i = 0; i < RUNS_PER_MONTH_BOUNDARY; i++) {
                int user = 1 + pick(cumulativeActivity);
                Instant start = boundary.minusMillis(1 + (long) (random.nextDouble() * Duration.ofHours(2).toMillis()));
                runs.add(run(userIds.get(user), offsets.get(user), start, logNormal(Duration.ofMinutes(60), 0.6)));
            }
        }
        runs.sort(Comparator.comparing(Run::startedAt).thenComparing(Run::id));
        return new SampleMonth(userIds, accounts, runs);
    }

    /**
     * The original bug in one user: a few minutes of real work a day, and two runs whose worker crashed, so they
     * were never finished. The original method counts each of those up to "now".
     */
    private List<Run> showcaseRuns(String userId, ZoneOffset offset) {
        List<Run> runs = new ArrayList<>();
        for (int day = 2; day <= 28; day += 3) {
            Instant start = Instant.parse("2026-11-01T00:00:00Z").plus(Duration.ofDays(day - 1))
                    .plus(Duration.ofMinutes(9 * 60 + random.nextInt(8 * 60)));
            Duration worked = logNormal(Duration.ofMinutes(3), 0.4);
            String status = day == 11 ? "stopped" : "completed";
            runs.add(new Run(uuid(), userId, offset, status, start, start.plus(worked), null, null));
        }
        for (String crashedAt : List.of("2026-11-17T14:21:07.412Z", "2026-11-28T10:02:45.930Z")) {
            runs.add(new Run(uuid(), userId, offset, "running", Instant.parse(crashedAt), null, null, null));
        }
        return runs;
    }

    /** What became of a run, in the proportions the original product's table showed. */
    private Run run(String userId, ZoneOffset offset, Instant start, Duration worked) {
        double outcome = random.nextDouble();
        if (outcome < 0.04) {
            return new Run(uuid(), userId, offset, "running", start, null, null, null);
        }
        if (outcome < 0.07) {
            return new Run(uuid(), userId, offset, "failed", start, start.plus(worked), "error",
                    AGENT_ERRORS[random.nextInt(AGENT_ERRORS.length)]);
        }
        if (outcome < 0.08) {
            return new Run(uuid(), userId, offset, "failed", start,
                    start.plus(TIME_BOX).plusMillis(random.nextInt(20_000)), "timeout",
                    "Agent run exceeded 2.0 hour timeout");
        }
        if (outcome < 0.09) {
            Duration lastHeartbeat = min(worked, TIME_BOX.minusMinutes(10));
            return new Run(uuid(), userId, offset, "failed", start,
                    start.plus(lastHeartbeat).plus(Duration.ofMinutes(10)), "heartbeat_timeout", "States.HeartbeatTimeout");
        }
        if (outcome < 0.095) {
            // Failed by the sweep after the time box and its grace: the run's real end is unknown.
            return new Run(uuid(), userId, offset, "failed", start,
                    start.plus(TIME_BOX).plus(Duration.ofMinutes(15 + random.nextInt(15))), "stuck", "No execution for the run");
        }
        if (outcome < 0.15) {
            Duration untilStopped = Duration.ofMillis((long) (worked.toMillis() * (0.2 + 0.8 * random.nextDouble())));
            return new Run(uuid(), userId, offset, "stopped", start, start.plus(untilStopped), null, null);
        }
        if (outcome < 0.16) {
            return new Run(uuid(), userId, offset, "completed", start, null, null, null);
        }
        return new Run(uuid(), userId, offset, "completed", start, start.plus(worked), null, null);
    }

    /** Mostly a few minutes; a long tail of research-style runs, some longer than the time box. */
    private Duration ordinaryDuration() {
        return random.nextDouble() < 0.96
                ? logNormal(Duration.ofMinutes(3), 1.0)
                : logNormal(Duration.ofMinutes(35), 0.9);
    }

    private Duration logNormal(Duration median, double sigma) {
        double millis = median.toMillis() * StrictMath.exp(sigma * random.nextGaussian());
        return Duration.ofMillis(Math.max(1_000, (long) millis));
    }

    /** Busier in European and American daytime (peak around 15:00 UTC), never empty at night. */
    private Instant diurnalStart() {
        long window = Duration.between(WINDOW_START, WINDOW_END).toMillis();
        while (true) {
            Instant start = WINDOW_START.plusMillis((long) (random.nextDouble() * window));
            double hour = start.atOffset(ZoneOffset.UTC).getHour();
            double busy = 0.6 + 0.4 * StrictMath.cos((hour - 15) / 24 * 2 * Math.PI);
            if (random.nextDouble() < busy) {
                return start;
            }
        }
    }

    /** A few heavy users, many occasional ones: log-normal activity weights. */
    private double[] cumulativeActivity() {
        double[] cumulative = new double[USERS - 1];
        double total = 0;
        for (int i = 0; i < cumulative.length; i++) {
            total += StrictMath.exp(1.2 * random.nextGaussian());
            cumulative[i] = total;
        }
        return cumulative;
    }

    private int pick(double[] cumulative) {
        double target = random.nextDouble() * cumulative[cumulative.length - 1];
        int index = 0;
        while (cumulative[index] < target) {
            index++;
        }
        return index;
    }

    private UUID uuid() {
        long version4 = (random.nextLong() & ~0xF000L) | 0x4000L;
        long ietfVariant = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(version4, ietfVariant);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    static String sql(SampleMonth sample) {
        StringBuilder sql = new StringBuilder()
                .append("-- A sample month of agent runs for local development, loaded by Flyway in the dev profile only\n")
                .append("-- (%dev.quarkus.flyway.locations). Generated by dev.runmeter.sample.SampleMonthGenerator (seed ")
                .append(SEED).append("): do not edit, regenerate.\n")
                .append("-- Showcase user: ").append(sample.showcaseUser()).append("\n\n");
        sql.append("INSERT INTO accounts (user_id, plan) VALUES\n");
        for (int i = 0; i < sample.accounts().size(); i++) {
            String[] account = sample.accounts().get(i);
            sql.append("('").append(account[0]).append("','").append(account[1]).append("')")
                    .append(i == sample.accounts().size() - 1 ? ";\n" : ",\n");
        }
        List<Run> runs = sample.runs();
        for (int i = 0; i < runs.size(); i++) {
            if (i % ROWS_PER_INSERT == 0) {
                sql.append("\nINSERT INTO agent_runs (id, user_id, status, started_at, completed_at, failure_reason, error)"
                        + " VALUES\n");
            }
            Run run = runs.get(i);
            sql.append("('").append(run.id()).append("','").append(run.userId()).append("','").append(run.status())
                    .append("',").append(timestamp(run.startedAt(), run.offset()))
                    .append(',').append(timestamp(run.completedAt(), run.offset()))
                    .append(',').append(text(run.failureReason()))
                    .append(',').append(text(run.error())).append(')')
                    .append(i % ROWS_PER_INSERT == ROWS_PER_INSERT - 1 || i == runs.size() - 1 ? ";\n" : ",\n");
        }
        return sql.toString();
    }

    private static String timestamp(Instant instant, ZoneOffset offset) {
        return instant == null ? "NULL" : "'" + SQL_TIMESTAMP.format(instant.atOffset(offset)) + "'";
    }

    private static String text(String value) {
        return value == null ? "NULL" : "'" + value.replace("'", "''") + "'";
    }
}
