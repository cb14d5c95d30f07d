package dev.runmeter.bench;

import static dev.runmeter.db.Database.utc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import dev.runmeter.usage.BillingMonth;
import dev.runmeter.usage.UsageStore.MonthTotals;

/**
 * A candidate fix for usage reads that grow with the number of runs in a month, measured here and NOT in the
 * product: a row per user and month holding what the finished runs billed in it (kept up to date in the same
 * transaction as each finalization), so a read is one primary-key probe plus the user's few running runs, whatever
 * the month holds. Its blind spot is why it stays a candidate: rows that other systems write straight into
 * agent_runs (imports, the previous backend) never reach the roll-up, and the contract says every rule must hold
 * for such rows.
 */
final class MonthlyRollup {

    static final String TABLE = """
            CREATE TABLE IF NOT EXISTS bench_usage_rollup (
                user_id   text   NOT NULL,
                month     date   NOT NULL,
                used_ms   bigint NOT NULL,
                completed bigint NOT NULL,
                failed    bigint NOT NULL,
                stopped   bigint NOT NULL,
                PRIMARY KEY (user_id, month)
            )""";

    /** The finished part from the roll-up, the running part live from the partial index of running runs. */
    private static final String READ = """
            WITH p AS (
                SELECT ?::bigint AS now_ms, ?::bigint AS max_ms, ?::bigint AS cap_ms,
                       ?::bigint AS month_start_ms, ?::bigint AS month_end_ms,
                       ?::timestamptz AS month_start, ?::timestamptz AS window_start, ?::timestamptz AS window_end
            ),
            live AS (
                SELECT coalesce(sum(CASE WHEN t.start_ms <= p.now_ms AND p.now_ms - t.start_ms <= p.max_ms
                           THEN greatest(0, least(p.now_ms, t.start_ms + p.cap_ms, p.month_end_ms)
                                            - greatest(t.start_ms, p.month_start_ms))
                           ELSE 0 END), 0) AS in_flight_ms,
                       count(*) FILTER (WHERE r.started_at >= p.month_start) AS running
                FROM p
                JOIN agent_runs r ON r.user_id = ? AND r.status = 'running'
                     AND r.started_at >= p.window_start AND r.started_at < p.window_end
                CROSS JOIN LATERAL (SELECT floor(extract(epoch FROM r.started_at) * 1000)::bigint AS start_ms) t
            )
            SELECT pl.name AS plan, pl.monthly_minutes, coalesce(u.used_ms, 0) AS used_ms, live.in_flight_ms,
                   live.running, coalesce(u.completed, 0) AS completed, coalesce(u.failed, 0) AS failed,
                   coalesce(u.stopped, 0) AS stopped
            FROM live
            LEFT JOIN bench_usage_rollup u ON u.user_id = ? AND u.month = ?
            LEFT JOIN accounts a ON a.user_id = ?
            JOIN plans pl ON pl.name = coalesce(a.plan, ?)
            """;

    /** What a finalization adds to its month (a run inside one month, as in the write benchmark). */
    static final String ADD_FINISHED = """
            INSERT INTO bench_usage_rollup AS u (user_id, month, used_ms, completed, failed, stopped)
            VALUES (?, ?, ?, 1, 0, 0)
            ON CONFLICT (user_id, month) DO UPDATE
            SET used_ms = u.used_ms + excluded.used_ms, completed = u.completed + 1
            """;

    record Totals(long usedMs, long inFlightMs, long running, long completed, long failed, long stopped) {
    }

    private final Duration maxDuration;
    private final Duration activeRunCap;
    private final String defaultPlan;

    MonthlyRollup(Duration maxDuration, Duration activeRunCap, String defaultPlan) {
        this.maxDuration = maxDuration;
        this.activeRunCap = activeRunCap;
        this.defaultPlan = defaultPlan;
    }

    static void create(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(TABLE);
        }
    }

    /** The roll-up row as the finalizations would have left it: from the live query's finished part. */
    static void fill(Connection connection, String userId, BillingMonth month, MonthTotals live) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO bench_usage_rollup VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, month) DO UPDATE "
                        + "SET used_ms = excluded.used_ms, completed = excluded.completed, "
                        + "failed = excluded.failed, stopped = excluded.stopped")) {
            statement.setString(1, userId);
            statement.setObject(2, monthDate(month));
            statement.setLong(3, live.usedMs());
            statement.setLong(4, live.runs().completed());
            statement.setLong(5, live.runs().failed());
            statement.setLong(6, live.runs().stopped());
            statement.executeUpdate();
        }
    }

    static LocalDate monthDate(BillingMonth month) {
        return month.start().atOffset(ZoneOffset.UTC).toLocalDate();
    }

    Totals read(Connection connection, String userId, BillingMonth month, Instant now) throws SQLException {
        try (PreparedStatement statement = bind(connection.prepareStatement(READ), userId, month, now);
                ResultSet row = statement.executeQuery()) {
            row.next();
            return new Totals(row.getLong("used_ms"), row.getLong("in_flight_ms"), row.getLong("running"),
                    row.getLong("completed"), row.getLong("failed"), row.getLong("stopped"));
        }
    }

    /** EXPLAIN (ANALYZE, BUFFERS) of the read; the caller closes the result set, which closes its statement. */
    ResultSet explain(Connection connection, String userId, BillingMonth month, Instant now) throws SQLException {
        PreparedStatement statement = bind(connection.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + READ), userId,
                month, now);
        statement.closeOnCompletion();
        return statement.executeQuery();
    }

    private PreparedStatement bind(PreparedStatement statement, String userId, BillingMonth month, Instant now)
            throws SQLException {
        Duration lookback = maxDuration.compareTo(activeRunCap) >= 0 ? maxDuration : activeRunCap;
        int next = 1;
        statement.setLong(next++, now.toEpochMilli());
        statement.setLong(next++, maxDuration.toMillis());
        statement.setLong(next++, activeRunCap.toMillis());
        statement.setLong(next++, month.start().toEpochMilli());
        statement.setLong(next++, month.end().toEpochMilli());
        statement.setObject(next++, utc(month.start()));
        statement.setObject(next++, utc(month.start().minus(lookback)));
        statement.setObject(next++, utc(month.end()));
        statement.setString(next++, userId);
        statement.setString(next++, userId);
        statement.setObject(next++, monthDate(month));
        statement.setString(next++, userId);
        statement.setString(next, defaultPlan);
        return statement;
    }
}
