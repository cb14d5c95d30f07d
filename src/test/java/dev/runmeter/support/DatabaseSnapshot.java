package dev.runmeter.support;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

/**
 * A fingerprint of every row of the tables runmeter writes or bills from: equal fingerprints before and after a
 * request prove that it wrote nothing, whatever rows other tests left behind.
 */
public final class DatabaseSnapshot {

    private static final String FINGERPRINT = """
            SELECT (SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, '|' ORDER BY r.id)), '')
                      FROM agent_runs r)
                || ' ' || (SELECT count(*) || ':' || coalesce(md5(string_agg(a::text, '|' ORDER BY a.user_id)), '')
                      FROM accounts a)
                || ' ' || (SELECT count(*) || ':' || coalesce(md5(string_agg(p::text, '|' ORDER BY p.name)), '')
                      FROM plans p)
            """;

    private DatabaseSnapshot() {
    }

    /** Runs the action and asserts that it wrote nothing. */
    public static void assertUnchangedBy(DataSource dataSource, String what, Runnable action) {
        String before = of(dataSource);
        action.run();
        org.junit.jupiter.api.Assertions.assertEquals(before, of(dataSource), what + " changed the database");
    }

    public static String of(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(FINGERPRINT)) {
            row.next();
            return row.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
