package dev.runmeter.db;

import java.sql.SQLException;

/**
 * A failure of the database itself (unreachable, timed out, rejected a statement), never of the caller's input.
 * Its message names only the SQL state: the driver's message can quote statements and their parameters, and this
 * message reaches Lambda's error document and the state machine's history. The cause keeps the detail for logs.
 */
public class DatabaseException extends RuntimeException {

    public DatabaseException(SQLException cause) {
        super("The database failed" + (cause.getSQLState() == null ? "" : " (SQL state " + cause.getSQLState() + ")"),
                cause);
    }

    /** True when the database could not be reached or did not answer: worth a 503 and a retry, not a 500. */
    public boolean isUnavailable() {
        for (Throwable t = getCause(); t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
            if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.net.ConnectException
                    || t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        // Agroal's "acquisition timeout" has no SQL state: the pool could not get a connection in time.
        return getCause() != null && getCause().getMessage() != null
                && getCause().getMessage().contains("Acquisition timeout");
    }
}
