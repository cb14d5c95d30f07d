package dev.runmeter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.Lambda.HttpResult;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The {@code usage} function end to end: whole API Gateway events through the Lambda mock event server, a real
 * PostgreSQL, exact milliseconds for every fault class the billing rules exist for.
 */
@QuarkusTest
class UsageFunctionTest {

    private static final long MINUTE = 60_000;

    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    RunRows rows;
    String user;

    @BeforeEach
    void setUp() {
        rows = new RunRows(dataSource);
        user = RunRows.newUser();
        clock.set("2026-11-20T12:00:00Z");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private HttpResult usage(String month) {
        HttpApiEvent event = HttpApiEvent.get("/v1/usage").user(user);
        if (month != null) {
            event.query("month", month);
        }
        HttpResult result = Lambda.http(event);
        assertEquals(200, result.status(), () -> result.body().toString());
        return result;
    }

    @Test
    void theOriginalBugAFinishedTwoMinuteRunAndACrashedRunBillTwoMinutes() {
        rows.completed(user, "2026-11-20T09:00:00Z", "2026-11-20T09:02:00Z");
        // crashed 2 h 3 min ago and never finished: the original counted it up to "now" (125 minutes in all)
        rows.running(user, "2026-11-20T09:57:00Z");

        JsonNode usage = usage("2026-11").body();

        assertEquals(2 * MINUTE, usage.get("usedMs").asLong());
        assertEquals(0, usage.get("inFlightMs").asLong());
        assertEquals("2.00", usage.get("usedMinutes").asText());
        assertEquals("58.00", usage.get("remainingMinutes").asText());
        assertFalse(usage.get("limitReached").asBoolean());
        assertEquals(1, usage.get("runs").get("running").asLong());
        assertEquals(1, usage.get("runs").get("completed").asLong());
    }

    @Test
    void aRunningRunInsideItsTimeBoxIsInFlightUpToTheCap() {
        rows.running(user, "2026-11-20T11:50:00Z"); // 10 min so far
        rows.running(user, "2026-11-20T10:05:00Z"); // 1 h 55 min so far: capped at 30 min
        rows.running(user, "2026-11-20T10:00:00Z"); // exactly 2 h: still inside the box

        JsonNode usage = usage("2026-11").body();

        assertEquals(0, usage.get("usedMs").asLong());
        assertEquals((10 + 30 + 30) * MINUTE, usage.get("inFlightMs").asLong());
        assertEquals("70.00", usage.get("inFlightMinutes").asText());
        assertEquals("0.00", usage.get("remainingMinutes").asText());
        assertTrue(usage.get("limitReached").asBoolean());
    }

    @Test
    void finishedRunsWithoutACompletionTimeBillNothing() {
        rows.insert(user, "completed", "2026-11-10T10:00:00Z", null, null);
        rows.insert(user, "stopped", "2026-11-10T11:00:00Z", null, null);
        rows.insert(user, "failed", "2026-11-10T12:00:00Z", null, "error");

        assertEquals(0, usage("2026-11").body().get("usedMs").asLong());
    }

    @Test
    void failedRunsBillUnlessTheyWereStuckOrNeverStarted() {
        rows.insert(user, "failed", "2026-11-10T10:00:00Z", "2026-11-10T10:07:00Z", "error");
        rows.insert(user, "failed", "2026-11-10T11:00:00Z", "2026-11-10T13:00:00Z", "timeout");
        rows.insert(user, "failed", "2026-11-10T14:00:00Z", "2026-11-10T14:11:00Z", "heartbeat_timeout");
        rows.insert(user, "failed", "2026-11-10T15:00:00Z", "2026-11-10T15:13:00Z", null);
        rows.insert(user, "failed", "2026-11-10T16:00:00Z", "2026-11-10T18:15:00Z", "stuck");
        rows.insert(user, "failed", "2026-11-10T19:00:00Z", "2026-11-10T19:00:01Z", "start_failed");
        rows.insert(user, "stopped", "2026-11-10T20:00:00Z", "2026-11-10T20:05:30.250Z", null);

        JsonNode usage = usage("2026-11").body();

        assertEquals((7 + 120 + 11 + 13 + 5) * MINUTE + 30_250, usage.get("usedMs").asLong());
        assertEquals(7, usage.get("runs").get("failed").asLong() + usage.get("runs").get("stopped").asLong());
    }

    @Test
    void noRunBillsMoreThanTheTimeBox() {
        rows.completed(user, "2026-11-10T10:00:00Z", "2026-11-11T10:00:00Z");

        assertEquals(120 * MINUTE, usage("2026-11").body().get("usedMs").asLong());
    }

    @Test
    void negativeDurationsAndRunsInTheFutureBillNothing() {
        rows.completed(user, "2026-11-10T10:00:00Z", "2026-11-10T09:00:00Z");
        rows.running(user, "2026-11-20T12:30:00Z"); // starts half an hour after now

        JsonNode usage = usage("2026-11").body();

        assertEquals(0, usage.get("usedMs").asLong());
        assertEquals(0, usage.get("inFlightMs").asLong());
    }

    @Test
    void aRunAcrossAMonthBoundaryIsSplitBetweenTheMonths() {
        rows.completed(user, "2026-10-31T23:30:00Z", "2026-11-01T00:20:00Z");

        assertEquals(30 * MINUTE, usage("2026-10").body().get("usedMs").asLong());
        assertEquals(20 * MINUTE, usage("2026-11").body().get("usedMs").asLong());
        assertEquals(1, usage("2026-10").body().get("runs").get("completed").asLong());
        assertEquals(0, usage("2026-11").body().get("runs").get("completed").asLong());
    }

    @Test
    void aRunAcrossTheYearBoundaryIsSplitBetweenTheYears() {
        rows.completed(user, "2025-12-31T23:50:00Z", "2026-01-01T00:15:00.500Z");

        assertEquals(10 * MINUTE, usage("2025-12").body().get("usedMs").asLong());
        assertEquals(15 * MINUTE + 500, usage("2026-01").body().get("usedMs").asLong());
    }

    @Test
    void februaryOfALeapYearEndsAfterItsTwentyNinthDay() {
        rows.completed(user, "2028-02-29T23:00:00Z", "2028-03-01T00:30:00Z");
        rows.completed(user, "2028-02-01T00:00:00Z", "2028-02-01T00:01:00Z");

        assertEquals(61 * MINUTE, usage("2028-02").body().get("usedMs").asLong());
        assertEquals(30 * MINUTE, usage("2028-03").body().get("usedMs").asLong());
    }

    @Test
    void timestampsWrittenWithOffsetsAreInstants() {
        // 10:00 in Kolkata is 04:30 UTC; completed at 05:00 UTC written as New York time
        rows.completed(user, "2026-11-10T10:00:00+05:30", "2026-11-10T00:00:00-05:00");

        assertEquals(30 * MINUTE, usage("2026-11").body().get("usedMs").asLong());
    }

    @Test
    void millisecondsAreExactAndMinutesRoundHalfUp() {
        rows.completed(user, "2026-11-10T10:00:00Z", "2026-11-10T10:00:00.300Z"); // 0.005 min
        rows.completed(user, "2026-11-10T11:00:00.000Z", "2026-11-10T11:00:00.000999Z"); // sub-ms: 0

        JsonNode usage = usage("2026-11").body();

        assertEquals(300, usage.get("usedMs").asLong());
        assertEquals("0.01", usage.get("usedMinutes").asText());
    }

    @Test
    void thePlanComesFromTheAccountOrTheDefault() {
        assertEquals("free", usage("2026-11").body().get("plan").asText());
        assertEquals(60, usage("2026-11").body().get("limitMinutes").asInt());

        rows.account(user, "tier_2_20");
        rows.completed(user, "2026-11-10T10:00:00Z", "2026-11-10T12:00:00Z");
        JsonNode usage = usage("2026-11").body();

        assertEquals("tier_2_20", usage.get("plan").asText());
        assertEquals(120, usage.get("limitMinutes").asInt());
        assertTrue(usage.get("limitReached").asBoolean(), "used + in flight >= limit");
        assertEquals("0.00", usage.get("remainingMinutes").asText());
    }

    @Test
    void withoutAMonthTheCurrentMonthIsMeant() {
        rows.completed(user, "2026-11-01T00:00:00Z", "2026-11-01T00:03:00Z");

        JsonNode usage = usage(null).body();

        assertEquals("2026-11", usage.get("month").asText());
        assertEquals(3 * MINUTE, usage.get("usedMs").asLong());
        assertEquals(user, usage.get("userId").asText());
    }

    @Test
    void malformedMonthsAreInvalidMonth() {
        for (String month : List.of("2026-13", "26-11", "2026-1", "2026-00", "", "2026-11-01", "november",
                "2026-11'; DROP TABLE agent_runs; --", "0000-01", "99999-01", "２０２６-11")) {
            HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage").user(user).query("month", month));
            assertEquals(400, result.status(), month);
            assertEquals("invalid_month", result.code(), month);
            assertEquals("application/problem+json", result.contentType());
            assertEquals(400, result.body().get("status").asInt());
        }
    }

    @Test
    void theFirstAndLastMonthsThatCanBeAskedForAnswer() {
        assertEquals(0, usage("1970-01").body().get("usedMs").asLong());
        assertEquals(0, usage("9999-12").body().get("usedMs").asLong());
        assertEquals(0, Lambda.http(HttpApiEvent.get("/v1/usage/runs").user(user).query("month", "9999-12")).body()
                .get("runs").size());
    }

    @Test
    void withoutClaimsTheCallerIsUnauthorized() {
        HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage").anonymous());
        assertEquals(401, result.status());
        assertEquals("unauthorized", result.code());
    }

    @Test
    void onlyAnAdminReadsAnotherUsersUsage() {
        rows.completed(user, "2026-11-10T10:00:00Z", "2026-11-10T10:04:00Z");

        HttpResult stranger = Lambda.http(HttpApiEvent.get("/v1/usage").user("someone-else")
                .query("userId", user).query("month", "2026-11"));
        assertEquals(403, stranger.status());
        assertEquals("forbidden", stranger.code());

        HttpResult admin = Lambda.http(HttpApiEvent.get("/v1/usage").admin("operator")
                .query("userId", user).query("month", "2026-11"));
        assertEquals(200, admin.status());
        assertEquals(user, admin.body().get("userId").asText());
        assertEquals(4 * MINUTE, admin.body().get("usedMs").asLong());

        HttpResult self = Lambda.http(HttpApiEvent.get("/v1/usage").user(user)
                .query("userId", user).query("month", "2026-11"));
        assertEquals(200, self.status());
    }

    @Test
    void unknownRoutesAreNotFound() {
        assertEquals(404, Lambda.http(HttpApiEvent.get("/v1/usage/everything").user(user)).status());
        assertEquals(404, Lambda.http(HttpApiEvent.post("/v1/usage").user(user)).status());
        assertEquals("not_found", Lambda.http(HttpApiEvent.get("/../etc/passwd").user(user)).code());
    }

    @Test
    void theDefaultRouteIsRoutedByMethodAndPath() {
        rows.completed(user, "2026-11-10T10:00:00Z", "2026-11-10T10:01:00Z");
        HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage").user(user).routeKey("$default")
                .query("month", "2026-11"));
        assertEquals(200, result.status());
        assertEquals(MINUTE, result.body().get("usedMs").asLong());
    }

    @Test
    void theBreakdownListsRunsThatStartedOrBillInTheMonthOldestFirst() {
        UUID fromOctober = rows.completed(user, "2026-10-31T23:00:00Z", "2026-11-01T00:10:00Z");
        rows.completed(user, "2026-10-31T20:00:00Z", "2026-10-31T21:00:00Z"); // October only
        UUID stuck = rows.insert(user, "failed", "2026-11-02T00:00:00Z", "2026-11-02T03:00:00Z", "stuck");
        UUID inFlight = rows.running(user, "2026-11-20T11:00:00Z");

        JsonNode page = Lambda.http(HttpApiEvent.get("/v1/usage/runs").user(user).query("month", "2026-11"))
                .body();

        JsonNode runs = page.get("runs");
        assertEquals(3, runs.size());
        assertEquals(fromOctober.toString(), runs.get(0).get("runId").asText());
        assertEquals(10 * MINUTE, runs.get(0).get("billedMs").asLong());
        assertEquals("10.00", runs.get(0).get("billedMinutes").asText());
        assertEquals("2026-10-31T23:00:00Z", runs.get(0).get("startedAt").asText());
        assertEquals(stuck.toString(), runs.get(1).get("runId").asText());
        assertEquals(0, runs.get(1).get("billedMs").asLong());
        assertEquals("stuck", runs.get(1).get("failureReason").asText());
        assertEquals(inFlight.toString(), runs.get(2).get("runId").asText());
        assertEquals(30 * MINUTE, runs.get(2).get("billedMs").asLong());
        assertTrue(runs.get(2).get("completedAt").isNull());
        assertTrue(page.get("nextCursor").isNull());
    }

    @Test
    void theBreakdownPagesWithACursorWithoutLosingOrRepeatingRuns() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            // two runs share each start instant: the cursor must order ties by id
            String start = "2026-11-0" + (1 + i / 2) + "T10:00:00Z";
            expected.add(rows.completed(user, start, "2026-11-09T10:00:00Z").toString());
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            HttpApiEvent event = HttpApiEvent.get("/v1/usage/runs").user(user).query("month", "2026-11")
                    .query("limit", "3");
            if (cursor != null) {
                event.query("cursor", cursor);
            }
            JsonNode page = Lambda.http(event).body();
            page.get("runs").forEach(run -> seen.add(run.get("runId").asText()));
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
            pages++;
        } while (cursor != null);

        assertEquals(3, pages);
        assertEquals(7, seen.size());
        assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(seen));
    }

    @Test
    void badPagingParametersAreInvalidRequests() {
        for (String[] parameter : List.<String[]>of(new String[] { "limit", "0" }, new String[] { "limit", "1001" },
                new String[] { "limit", "ten" }, new String[] { "limit", "99999999999999999999" },
                new String[] { "cursor", "not-a-cursor" }, new String[] { "cursor", "%%%" })) {
            HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage/runs").user(user)
                    .query(parameter[0], parameter[1]));
            assertEquals(400, result.status(), parameter[0] + "=" + parameter[1]);
            assertEquals("invalid_request", result.code());
        }
    }
}
