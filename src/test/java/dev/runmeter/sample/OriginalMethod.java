package dev.runmeter.sample;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * How the original product computed a user's monthly usage, kept as the baseline runmeter is compared with (in
 * the README and in benchmarks), not as product code: it fetches every run the user started in the month and adds
 * up {@code coalesce(completed_at, now) - started_at} in the application. A run whose worker crashed stays
 * {@code running} forever and so counts up to "now", growing by an hour every hour.
 */
public final class OriginalMethod {

    private static final String RUNS_STARTED_IN_MONTH = """
            SELECT started_at, completed_at FROM agent_runs
            WHERE user_id = ? AND started_at >= ? AND started_at < ?
            """;

    private OriginalMethod() {
    }

    public static Duration monthlyUsage(Connection connection, String userId, YearMonth month, Instant now)
            throws SQLException {
        OffsetDateTime monthStart = month.atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC);
        Duration total = Duration.ZERO;
        try (PreparedStatement statement = connection.prepareStatement(RUNS_STARTED_IN_MONTH)) {
            statement.setString(1, userId);
            statement.setObject(2, monthStart);
            statement.setObject(3, monthStart.plusMonths(1));
            try (ResultSet run = statement.executeQuery()) {
                while (run.next()) {
                    Instant startedAt = run.getObject("started_at", OffsetDateTime.class).toInstant();
                    OffsetDateTime completedAt = run.getObject("completed_at", OffsetDateTime.class);
                    total = total.plus(Duration.between(startedAt, completedAt == null ? now : completedAt.toInstant()));
                }
            }
        }
        return total;
    }
}
