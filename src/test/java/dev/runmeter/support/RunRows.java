package dev.runmeter.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

import javax.sql.DataSource;

/**
 * Writes {@code agent_runs} and {@code accounts} rows the way other systems may (imports, the previous backend):
 * timestamps are SQL text with explicit offsets, parsed by PostgreSQL itself.
 */
public final class RunRows {

    private final DataSource dataSource;

    public RunRows(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static String newUser() {
        return "user-" + UUID.randomUUID();
    }

    public UUID insert(String userId, String status, String startedAt, String completedAt, String failureReason) {
        UUID id = UUID.randomUUID();
        execute("INSERT INTO agent_runs (id, user_id, status, started_at, completed_at, failure_reason) "
                + "VALUES (?, ?, ?, ?::timestamptz, ?::timestamptz, ?)",
                id, userId, status, startedAt, completedAt, failureReason);
        return id;
    }

    public UUID completed(String userId, String startedAt, String completedAt) {
        return insert(userId, "completed", startedAt, completedAt, null);
    }

    public UUID running(String userId, String startedAt) {
        return insert(userId, "running", startedAt, null, null);
    }

    public void account(String userId, String plan) {
        execute("INSERT INTO accounts (user_id, plan) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET plan = ?",
                userId, plan, plan);
    }

    public long count(String sql, Object... parameters) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, parameters);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public void execute(String sql, Object... parameters) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, parameters);
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
    }
}
