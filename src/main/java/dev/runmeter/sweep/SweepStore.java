package dev.runmeter.sweep;

import static dev.runmeter.db.Database.utc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.runmeter.runs.AgentRun;
import dev.runmeter.runs.RunStore;

/** The sweep's SQL: overdue runs by batch, and the health figures. */
@ApplicationScoped
public class SweepStore {

    /**
     * The next batch of overdue runs after a position, oldest first, from the partial index of running runs.
     * {@code FOR UPDATE SKIP LOCKED} makes concurrent sweeps take disjoint batches, and holds off a finalization of
     * a claimed run until the sweep's transaction ends (it then finds the run no longer running and changes
     * nothing).
     */
    private static final String OVERDUE = "SELECT " + RunStore.COLUMNS + """
             FROM agent_runs
            WHERE status = 'running' AND started_at < ?
              AND (?::timestamptz IS NULL OR (started_at, id) > (?::timestamptz, ?::uuid))
            ORDER BY started_at, id
            LIMIT ?
            """;

    private static final String STATS = """
            SELECT count(*) FILTER (WHERE status = 'running') AS running,
                   count(*) FILTER (WHERE status = 'completed') AS completed,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'stopped') AS stopped,
                   count(*) FILTER (WHERE status = 'running' AND started_at > ?) AS under_one_hour,
                   count(*) FILTER (WHERE status = 'running' AND started_at <= ? AND started_at >= ?) AS one_to_two_hours,
                   count(*) FILTER (WHERE status = 'running' AND started_at < ? AND started_at >= ?) AS awaiting_finalizer,
                   count(*) FILTER (WHERE status = 'running' AND started_at < ?) AS overdue
            FROM agent_runs
            """;

    private static final String OLDEST_RUNNING =
            "SELECT id, started_at FROM agent_runs WHERE status = 'running' ORDER BY started_at, id LIMIT 1";

    public record Position(Instant startedAt, UUID id) {
    }

    public record Stats(long running, long completed, long failed, long stopped, long underOneHour,
            long oneToTwoHours, long awaitingFinalizer, long overdue, UUID oldestRunningId, Instant oldestRunningStart) {
    }

    /**
     * Overdue runs (running and started before {@code overdueBefore}) after {@code after}.
     *
     * @param claim lock the rows for this transaction, skipping rows another sweep holds
     */
    public List<AgentRun> overdue(Connection connection, Instant overdueBefore, Position after, int limit,
            boolean claim) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(claim ? OVERDUE + " FOR UPDATE SKIP LOCKED"
                : OVERDUE)) {
            OffsetDateTime afterStart = after == null ? null : utc(after.startedAt());
            statement.setObject(1, utc(overdueBefore));
            statement.setObject(2, afterStart);
            statement.setObject(3, afterStart);
            statement.setObject(4, after == null ? null : after.id());
            statement.setInt(5, limit);
            List<AgentRun> runs = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    runs.add(RunStore.read(row));
                }
            }
            return runs;
        }
    }

    /**
     * @param oneHourAgo the original product's health threshold ("running for more than 1 hour")
     * @param timeBoxStart runs that started before it are past their time box
     * @param overdueBefore runs that started before it are overdue
     */
    public Stats stats(Connection connection, Instant oneHourAgo, Instant timeBoxStart, Instant overdueBefore)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(STATS);
                PreparedStatement oldest = connection.prepareStatement(OLDEST_RUNNING)) {
            statement.setObject(1, utc(oneHourAgo));
            statement.setObject(2, utc(oneHourAgo));
            statement.setObject(3, utc(timeBoxStart));
            statement.setObject(4, utc(timeBoxStart));
            statement.setObject(5, utc(overdueBefore));
            statement.setObject(6, utc(overdueBefore));
            UUID oldestId = null;
            Instant oldestStart = null;
            try (ResultSet row = oldest.executeQuery()) {
                if (row.next()) {
                    oldestId = row.getObject("id", UUID.class);
                    oldestStart = row.getObject("started_at", OffsetDateTime.class).toInstant();
                }
            }
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return new Stats(row.getLong("running"), row.getLong("completed"), row.getLong("failed"),
                        row.getLong("stopped"), row.getLong("under_one_hour"), row.getLong("one_to_two_hours"),
                        row.getLong("awaiting_finalizer"), row.getLong("overdue"), oldestId, oldestStart);
            }
        }
    }
}
