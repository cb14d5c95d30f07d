package dev.runmeter.logging;

import java.util.UUID;

import org.jboss.logging.MDC;

/**
 * Puts the run id and the user id on every log line written while a run or a user's request is handled: the JSON
 * log format writes them as the fields {@code mdc.runId} and {@code mdc.userId}, so CloudWatch Logs Insights can
 * find all lines about one run or one user, whatever the message says. Lambda reuses its thread for the next
 * invocation, so each handler clears the context when it returns.
 */
public final class RunLogContext {

    static final String RUN_ID = "runId";
    static final String USER_ID = "userId";

    private RunLogContext() {
    }

    public static void user(String userId) {
        MDC.put(USER_ID, userId);
    }

    public static void run(UUID runId, String userId) {
        MDC.put(RUN_ID, runId.toString());
        if (userId != null) {
            MDC.put(USER_ID, userId);
        }
    }

    /** Leaves the run: later lines are about the user (a request) or about nobody (a sweep). */
    public static void leaveRun() {
        MDC.remove(RUN_ID);
    }

    public static void clear() {
        MDC.remove(RUN_ID);
        MDC.remove(USER_ID);
    }
}
