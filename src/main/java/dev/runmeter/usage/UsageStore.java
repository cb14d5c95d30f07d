package dev.runmeter.usage;

import static dev.runmeter.db.Database.utc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.runs.FailureReason;
import dev.runmeter.runs.RunStatus;

/**
 * The usage capability's SQL. The billing rules (see BillingRules) are applied inside PostgreSQL, so one query
 * computes a user's month however many runs it holds. All arithmetic is on epoch milliseconds: no time zone
 * takes part, neither the JVM's nor the session's.
 */
@ApplicationScoped
public class UsageStore {

    /** Parameters; window_start is one time box before the month (no billable interval is longer). */
    private static final String PARAMETERS = """
            WITH p AS (
                SELECT ?::bigint AS now_ms, ?::bigint AS max_ms, ?::bigint AS cap_ms,
                       ?::bigint AS month_start_ms, ?::bigint AS month_end_ms,
                       ?::timestamptz AS month_start, ?::timestamptz AS window_start, ?::timestamptz AS window_end
            ),
            """;

    /**
     * Every run of the user that can bill in the month: one that started in it or at most one time box before it.
     * For each run: its billable interval's kind and end (rules 1-4) and the part of the interval inside the month.
     * {@code %s} is an extra condition on the runs.
     */
    private static final String BILLED_RUNS = """
            billed AS (
                SELECT r.id, r.status, r.started_at, r.completed_at, r.failure_reason, k.kind,
                       CASE WHEN b.end_ms IS NULL THEN 0
                            ELSE greatest(0, least(b.end_ms, p.month_end_ms) - greatest(t.start_ms, p.month_start_ms))
                       END AS month_ms,
                       r.started_at >= p.month_start AS started_in_month
                FROM p
                CROSS JOIN agent_runs r
                CROSS JOIN LATERAL (
                    SELECT floor(extract(epoch FROM r.started_at) * 1000)::bigint AS start_ms,
                           floor(extract(epoch FROM r.completed_at) * 1000)::bigint AS completed_ms
                ) t
                CROSS JOIN LATERAL (
                    SELECT CASE
                        WHEN r.status = 'running' THEN
                            CASE WHEN t.start_ms <= p.now_ms AND p.now_ms - t.start_ms <= p.max_ms THEN 'in_flight' END
                        WHEN r.failure_reason IN ('stuck', 'start_failed') OR t.completed_ms IS NULL THEN NULL
                        WHEN t.completed_ms < t.start_ms THEN 'suspicious'
                        ELSE 'used'
                    END AS kind
                ) k
                CROSS JOIN LATERAL (
                    SELECT CASE k.kind
                        WHEN 'in_flight' THEN least(p.now_ms, t.start_ms + p.cap_ms)
                        WHEN 'used' THEN least(t.completed_ms, t.start_ms + p.max_ms)
                    END AS end_ms
                ) b
                WHERE r.user_id = ? AND r.started_at >= p.window_start AND r.started_at < p.window_end %s
            )
            """;

    /**
     * The month's totals, from the roll-up when it was computed with our time box (billing_basis), live from the
     * user's runs otherwise. Only one of the two branches runs: each is gated on a one-time filter.
     *
     * <p>Roll-up branch: finished runs' billed ms and counts of the whole UTC days inside the month come from
     * usage_days (kept by a trigger on agent_runs for every writer). The month's edges that are not whole UTC days
     * (none in UTC) are computed live from the runs that can bill in them, running runs live from the partial index
     * of running runs, and suspicious runs from their own partial index.
     */
    private static final String MONTH_TOTALS = PARAMETERS + """
            basis AS (
                SELECT coalesce((SELECT max_duration_ms FROM billing_basis) = p.max_ms, false) AS rolled_up FROM p
            ),
            """ + BILLED_RUNS.formatted("AND NOT (SELECT rolled_up FROM basis)") + """
            ,
            live AS (
                SELECT coalesce(sum(month_ms) FILTER (WHERE kind = 'used'), 0) AS used_ms,
                       coalesce(sum(month_ms) FILTER (WHERE kind = 'in_flight'), 0) AS in_flight_ms,
                       count(*) FILTER (WHERE started_in_month AND status = 'running') AS running,
                       count(*) FILTER (WHERE started_in_month AND status = 'completed') AS completed,
                       count(*) FILTER (WHERE started_in_month AND status = 'failed') AS failed,
                       count(*) FILTER (WHERE started_in_month AND status = 'stopped') AS stopped,
                       array_agg(id) FILTER (WHERE kind = 'suspicious') AS suspicious
                FROM billed
            ),
            q AS (
                SELECT ?::text AS user_id, ?::date AS first_day, ?::date AS end_day,
                       ?::bigint AS first_day_ms, ?::bigint AS end_day_ms,
                       ?::timestamptz AS first_day_at, ?::timestamptz AS end_day_at
            ),
            whole_days AS (
                SELECT coalesce(sum(d.used_ms), 0) AS used_ms, coalesce(sum(d.completed), 0) AS completed,
                       coalesce(sum(d.failed), 0) AS failed, coalesce(sum(d.stopped), 0) AS stopped
                FROM q
                JOIN usage_days d ON d.user_id = q.user_id AND d.day >= q.first_day AND d.day < q.end_day
                WHERE (SELECT rolled_up FROM basis)
            ),
            edges AS (
                SELECT e.* FROM p CROSS JOIN q CROSS JOIN LATERAL (VALUES
                    (p.month_start_ms, q.first_day_ms, p.month_start, q.first_day_at),
                    (q.end_day_ms, p.month_end_ms, q.end_day_at, p.window_end)
                ) AS e (start_ms, end_ms, start_at, end_at)
                WHERE e.start_ms < e.end_ms AND (SELECT rolled_up FROM basis)
            ),
            edge_runs AS (
                SELECT coalesce(sum(CASE WHEN t.completed_ms >= t.start_ms
                                              AND (r.failure_reason IS NULL
                                                   OR r.failure_reason NOT IN ('stuck', 'start_failed'))
                                         THEN greatest(0, least(t.completed_ms, t.start_ms + p.max_ms, e.end_ms)
                                                          - greatest(t.start_ms, e.start_ms))
                                         ELSE 0 END), 0) AS used_ms,
                       count(*) FILTER (WHERE r.started_at >= e.start_at AND r.status = 'completed') AS completed,
                       count(*) FILTER (WHERE r.started_at >= e.start_at AND r.status = 'failed') AS failed,
                       count(*) FILTER (WHERE r.started_at >= e.start_at AND r.status = 'stopped') AS stopped
                FROM p
                CROSS JOIN q
                CROSS JOIN edges e
                JOIN agent_runs r ON r.user_id = q.user_id
                                 AND r.started_at >= e.start_at - p.max_ms * interval '1 millisecond'
                                 AND r.started_at < e.end_at
                CROSS JOIN LATERAL (
                    SELECT floor(extract(epoch FROM r.started_at) * 1000)::bigint AS start_ms,
                           floor(extract(epoch FROM r.completed_at) * 1000)::bigint AS completed_ms
                ) t
                WHERE r.status <> 'running'
            ),
            running AS (
                SELECT coalesce(sum(CASE WHEN t.start_ms <= p.now_ms AND p.now_ms - t.start_ms <= p.max_ms
                                         THEN greatest(0, least(p.now_ms, t.start_ms + p.cap_ms, p.month_end_ms)
                                                          - greatest(t.start_ms, p.month_start_ms))
                                         ELSE 0 END), 0) AS in_flight_ms,
                       count(*) FILTER (WHERE r.started_at >= p.month_start AND r.started_at < p.window_end) AS running
                FROM p
                CROSS JOIN q
                JOIN agent_runs r ON r.user_id = q.user_id AND r.status = 'running'
                CROSS JOIN LATERAL (
                    SELECT floor(extract(epoch FROM r.started_at) * 1000)::bigint AS start_ms
                ) t
                WHERE (SELECT rolled_up FROM basis)
            ),
            suspicious AS (
                SELECT array_agg(r.id) AS ids
                FROM p
                CROSS JOIN q
                JOIN agent_runs r ON r.user_id = q.user_id AND r.completed_at < r.started_at
                                 AND r.started_at >= p.window_start AND r.started_at < p.window_end
                WHERE r.status <> 'running'
                  AND (r.failure_reason IS NULL OR r.failure_reason NOT IN ('stuck', 'start_failed'))
                  AND floor(extract(epoch FROM r.completed_at) * 1000) < floor(extract(epoch FROM r.started_at) * 1000)
                  AND (SELECT rolled_up FROM basis)
            )
            SELECT pl.name AS plan, pl.monthly_minutes, pl.max_concurrent_runs,
                   live.used_ms + whole_days.used_ms + edge_runs.used_ms AS used_ms,
                   live.in_flight_ms + running.in_flight_ms AS in_flight_ms,
                   live.running + running.running AS running,
                   live.completed + whole_days.completed + edge_runs.completed AS completed,
                   live.failed + whole_days.failed + edge_runs.failed AS failed,
                   live.stopped + whole_days.stopped + edge_runs.stopped AS stopped,
                   array_cat(live.suspicious, suspicious.ids) AS suspicious
            FROM live, whole_days, edge_runs, running, suspicious
            LEFT JOIN accounts a ON a.user_id = ?
            JOIN plans pl ON pl.name = coalesce(a.plan, ?)
            """;

    private static final String MONTH_RUNS = PARAMETERS + BILLED_RUNS.formatted("") + """
            SELECT id, status, started_at, completed_at, failure_reason, month_ms
            FROM billed
            WHERE (started_in_month OR month_ms > 0)
              AND (?::timestamptz IS NULL OR (started_at, id) > (?::timestamptz, ?::uuid))
            ORDER BY started_at, id
            LIMIT ?
            """;

    private final Duration maxDuration;
    private final Duration activeRunCap;
    private final String defaultPlan;

    public UsageStore(RunmeterConfig config) {
        this.maxDuration = config.runs().maxDuration();
        this.activeRunCap = config.billing().activeRunCap();
        this.defaultPlan = config.billing().defaultPlan();
    }

    public record Plan(String name, int monthlyMinutes, Integer maxConcurrentRuns) {
    }

    public record MonthTotals(Plan plan, long usedMs, long inFlightMs, RunCounts runs, List<UUID> suspiciousRuns) {
    }

    public record RunCounts(long running, long completed, long failed, long stopped) {
    }

    public record BilledRun(UUID id, RunStatus status, Instant startedAt, Instant completedAt,
            FailureReason failureReason, long billedMs) {
    }

    /** A position in a month's run list: after this run. */
    public record Position(Instant startedAt, UUID id) {
    }

    /** A user's plan and month, in one statement. */
    public MonthTotals monthTotals(Connection connection, String userId, BillingMonth month, Instant now)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(MONTH_TOTALS)) {
            int next = bindBilledRuns(statement, userId, month, now);
            Instant firstDay = wholeUtcDayAtOrAfter(month.start());
            Instant endDay = month.end().truncatedTo(ChronoUnit.DAYS);
            statement.setString(next++, userId);
            statement.setObject(next++, LocalDate.ofInstant(firstDay, ZoneOffset.UTC));
            statement.setObject(next++, LocalDate.ofInstant(endDay, ZoneOffset.UTC));
            statement.setLong(next++, firstDay.toEpochMilli());
            statement.setLong(next++, endDay.toEpochMilli());
            statement.setObject(next++, utc(firstDay));
            statement.setObject(next++, utc(endDay));
            statement.setString(next++, userId);
            statement.setString(next, defaultPlan);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("Plan of user " + userId + " (default " + defaultPlan
                            + ") is not in the plans table");
                }
                java.sql.Array suspicious = row.getArray("suspicious");
                return new MonthTotals(
                        new Plan(row.getString("plan"), row.getInt("monthly_minutes"),
                                (Integer) row.getObject("max_concurrent_runs")),
                        row.getLong("used_ms"), row.getLong("in_flight_ms"),
                        new RunCounts(row.getLong("running"), row.getLong("completed"), row.getLong("failed"),
                                row.getLong("stopped")),
                        suspicious == null ? List.of() : Arrays.asList((UUID[]) suspicious.getArray()));
            }
        }
    }

    /** Up to {@code limit} runs that started or bill in the month, oldest first, after {@code after} if given. */
    public List<BilledRun> monthRuns(Connection connection, String userId, BillingMonth month, Instant now,
            Position after, int limit) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(MONTH_RUNS)) {
            int next = bindBilledRuns(statement, userId, month, now);
            OffsetDateTime afterStart = after == null ? null : utc(after.startedAt());
            statement.setObject(next++, afterStart);
            statement.setObject(next++, afterStart);
            statement.setObject(next++, after == null ? null : after.id());
            statement.setInt(next, limit);
            List<BilledRun> runs = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    runs.add(new BilledRun(row.getObject("id", UUID.class),
                            RunStatus.fromDb(row.getString("status")),
                            row.getObject("started_at", OffsetDateTime.class).toInstant(),
                            instant(row.getObject("completed_at", OffsetDateTime.class)),
                            FailureReason.fromDb(row.getString("failure_reason")),
                            row.getLong("month_ms")));
                }
            }
            return runs;
        }
    }

    private int bindBilledRuns(PreparedStatement statement, String userId, BillingMonth month, Instant now)
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
        return next;
    }

    private static Instant wholeUtcDayAtOrAfter(Instant instant) {
        Instant day = instant.truncatedTo(ChronoUnit.DAYS);
        return day.equals(instant) ? day : day.plus(1, ChronoUnit.DAYS);
    }

    private static Instant instant(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }
}
