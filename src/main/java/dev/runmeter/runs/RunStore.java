package dev.runmeter.runs;

import static dev.runmeter.db.Database.utc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

/** The runs capability's SQL. Every change of a run's state is a compare-and-set on {@code status = 'running'}. */
@ApplicationScoped
public class RunStore {

    public static final String COLUMNS =
            "id, user_id, thread_id, status, started_at, completed_at, failure_reason, error, execution_arn";

    /** Serializes a user's starts until the transaction ends, whether or not the user has an accounts row. */
    private static final String LOCK_USER = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))";

    private static final String FIND = "SELECT " + COLUMNS + " FROM agent_runs WHERE id = ?";

    private static final String FIND_BY_IDEMPOTENCY_KEY =
            "SELECT " + COLUMNS + " FROM agent_runs WHERE user_id = ? AND idempotency_key = ?";

    private static final String COUNT_ACTIVE =
            "SELECT count(*) FROM agent_runs WHERE user_id = ? AND status = 'running' AND started_at >= ?";

    private static final String INSERT = """
            INSERT INTO agent_runs (id, user_id, thread_id, status, started_at, idempotency_key)
            VALUES (?, ?, ?, 'running', ?, ?)
            """;

    private static final String SET_EXECUTION = "UPDATE agent_runs SET execution_arn = ? WHERE id = ?";

    private static final String FINISH = """
            UPDATE agent_runs SET status = ?, completed_at = ?, failure_reason = ?, error = ?
            WHERE id = ? AND status = 'running'
            RETURNING\s""" + COLUMNS;

    public void lockUser(Connection connection, String userId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(LOCK_USER)) {
            statement.setString(1, userId);
            statement.execute();
        }
    }

    public Optional<AgentRun> find(Connection connection, UUID id) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(FIND)) {
            statement.setObject(1, id);
            return single(statement);
        }
    }

    public Optional<AgentRun> findByIdempotencyKey(Connection connection, String userId, String key)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(FIND_BY_IDEMPOTENCY_KEY)) {
            statement.setString(1, userId);
            statement.setString(2, key);
            return single(statement);
        }
    }

    /** Running runs of the user that started at or after {@code since}. */
    public long countRunning(Connection connection, String userId, Instant since) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(COUNT_ACTIVE)) {
            statement.setString(1, userId);
            statement.setObject(2, utc(since));
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    public void insert(Connection connection, AgentRun run, String idempotencyKey) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
            statement.setObject(1, run.id());
            statement.setString(2, run.userId());
            statement.setString(3, run.threadId());
            statement.setObject(4, utc(run.startedAt()));
            statement.setString(5, idempotencyKey);
            statement.executeUpdate();
        }
    }

    public void setExecutionArn(Connection connection, UUID id, String executionArn) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SET_EXECUTION)) {
            statement.setString(1, executionArn);
            statement.setObject(2, id);
            statement.executeUpdate();
        }
    }

    /**
     * Moves a running run to its terminal state.
     *
     * @return the run as changed, or empty when it was not running (another outcome was recorded first)
     */
    public Optional<AgentRun> finish(Connection connection, UUID id, FinalOutcome outcome, Instant completedAt)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(FINISH)) {
            statement.setString(1, outcome.status().dbValue());
            statement.setObject(2, utc(completedAt));
            statement.setString(3, outcome.reason() == null ? null : outcome.reason().dbValue());
            statement.setString(4, outcome.error());
            statement.setObject(5, id);
            return single(statement);
        }
    }

    private static Optional<AgentRun> single(PreparedStatement statement) throws SQLException {
        try (ResultSet row = statement.executeQuery()) {
            return row.next() ? Optional.of(read(row)) : Optional.empty();
        }
    }

    public static AgentRun read(ResultSet row) throws SQLException {
        return new AgentRun(
                row.getObject("id", UUID.class),
                row.getString("user_id"),
                row.getString("thread_id"),
                RunStatus.fromDb(row.getString("status")),
                row.getObject("started_at", OffsetDateTime.class).toInstant(),
                instant(row.getObject("completed_at", OffsetDateTime.class)),
                FailureReason.fromDb(row.getString("failure_reason")),
                row.getString("error"),
                row.getString("execution_arn"));
    }

    private static Instant instant(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }
}
