package dev.runmeter.usage;

import static dev.runmeter.support.HostileEvent.http;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.runmeter.support.DatabaseSnapshot;
import dev.runmeter.support.HostileEvent;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.HttpApiHostility;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The {@code usage} function against malformed and hostile events: each is refused with a 4xx problem document
 * (or a typed Lambda error when it is not an HTTP API event at all), and the database is left exactly as it was.
 */
@QuarkusTest
class HostileUsageEventsTest {

    private static final String USER = "hostile-usage-" + UUID.randomUUID();
    private static int casesRun;

    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    RunRows rows;

    @BeforeEach
    void setUp() {
        rows = new RunRows(dataSource);
        clock.set("2026-11-20T12:00:00Z");
        rows.completed(USER, "2026-11-02T10:00:00Z", "2026-11-02T10:30:00Z");
        rows.running(USER, "2026-11-20T11:50:00Z");
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    static HttpApiEvent usage() {
        return HttpApiEvent.get("/v1/usage").user(USER).query("month", "2026-11");
    }

    static HttpApiEvent usageRuns() {
        return HttpApiEvent.get("/v1/usage/runs").user(USER).query("month", "2026-11");
    }

    static List<HostileEvent> cases() {
        List<HostileEvent> cases = new ArrayList<>(HttpApiHostility.cases(HostileUsageEventsTest::usage));
        for (String month : List.of("2026-13", "2026-00", "1969-12", "0000-01", "99999-01", "2026-1", "2026-011",
                "2026/11", "11-2026", "", " 2026-11", "2026-11 ", "2026-11\u0000", "-2026-11", "+2026-11",
                "2026-11-01", "2026-11T00:00Z", "\uff12\uff10\uff12\uff16-\uff11\uff11", "2026-\u0661\u0661",
                "2026-11\n2026-12", "9".repeat(10_000))) {
            cases.add(http("month " + HostileEvent.printable(month), usage().query("month", month), 400, "invalid_month"));
            cases.add(http("breakdown month " + HostileEvent.printable(month), usageRuns().query("month", month), 400,
                    "invalid_month"));
        }
        for (String injection : HostileEvent.SQL_INJECTIONS) {
            cases.add(http("SQL injection in month: " + injection, usage().query("month", injection), 400,
                    "invalid_month"));
            cases.add(http("SQL injection in limit: " + injection, usageRuns().query("limit", injection), 400,
                    "invalid_request"));
            cases.add(http("SQL injection in cursor: " + injection, usageRuns().query("cursor", injection), 400,
                    "invalid_request"));
            cases.add(http("SQL injection in userId: " + injection, usage().query("userId", injection), 403,
                    "forbidden"));
        }
        for (String limit : List.of("0", "-1", "1001", "2147483648", "-2147483649", "99999999999999999999", "1e3",
                "1.5", "abc", "", "0x10", "\u0661", "10\u0000")) {
            cases.add(http("limit " + HostileEvent.printable(limit), usageRuns().query("limit", limit), 400, "invalid_request"));
        }
        for (String cursor : List.of("not base64!", "////", encode("no bar"),
                encode("2026-11-02T10:00:00Z|not-a-uuid"), encode("yesterday|" + UUID.randomUUID()),
                encode("+1000000000-01-01T00:00:00Z|" + UUID.randomUUID()),
                encode("-1000000000-01-01T00:00:00Z|" + UUID.randomUUID()),
                encode("2026-11-02T10:00:00Z|1-1-1-1-1"), encode("2026-11-02T10:00:00Z\u0000|" + UUID.randomUUID()),
                "A".repeat(10_000), "")) {
            cases.add(http("cursor " + HostileEvent.printable(cursor), usageRuns().query("cursor", cursor), 400,
                    "invalid_request"));
        }
        cases.add(http("a userId with a NUL byte", usage().query("userId", USER + "\u0000"), 400, "invalid_request"));
        for (String userId : List.of("someone-else", "../" + USER, USER + " ", USER.toUpperCase())) {
            cases.add(http("another user's usage: " + HostileEvent.printable(userId), usage().query("userId", userId), 403,
                    "forbidden"));
            cases.add(http("another user's breakdown: " + HostileEvent.printable(userId), usageRuns().query("userId", userId),
                    403, "forbidden"));
        }
        cases.add(http("admin asking for a blank userId", usage().scope("runmeter/admin").query("userId", " "), 400,
                "invalid_request"));
        cases.add(http("admin asking for a userId with a NUL byte", usage().scope("runmeter/admin")
                .query("userId", "victim\u0000"), 400, "invalid_request"));
        cases.add(http("admin asking for a userId longer than any", usage().scope("runmeter/admin")
                .query("userId", "v".repeat(257)), 400, "invalid_request"));
        cases.add(http("a scope that only resembles admin", usage().scope("runmeter/administrator xrunmeter/admin")
                .query("userId", "victim"), 403, "forbidden"));
        cases.add(http("POST to a GET route", usage().route("POST", "/v1/usage"), 404, "not_found"));
        cases.add(http("DELETE usage", usage().route("DELETE", "/v1/usage"), 404, "not_found"));
        cases.add(http("a runs route sent to the usage function", usage().route("GET",
                "/v1/runs/" + UUID.randomUUID()).routeKey("GET /v1/runs/{runId}"), 404, "not_found"));
        cases.add(http("trailing slash", usage().route("GET", "/v1/usage/").routeKey("$default"), 404,
                "not_found"));
        cases.add(http("upper-case path", usage().route("GET", "/V1/USAGE").routeKey("$default"), 404,
                "not_found"));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedAndChangesNothing(HostileEvent event) {
        DatabaseSnapshot.assertUnchangedBy(dataSource, event.name(), event::assertRefused);
        casesRun++;
    }

    @Test
    void sqlInjectionInAnAdminsUserIdIsJustAUserWithNoRuns() {
        for (String injection : HostileEvent.SQL_INJECTIONS) {
            String before = DatabaseSnapshot.of(dataSource);

            Lambda.HttpResult result = Lambda.http(usage().scope("openid runmeter/admin").query("userId", injection));

            assertEquals(200, result.status(), () -> result.body().toString());
            assertEquals(injection, result.body().get("userId").asText());
            assertEquals(0, result.body().get("usedMs").asLong());
            assertEquals(0, result.body().get("runs").get("completed").asLong());
            assertEquals(before, DatabaseSnapshot.of(dataSource));
        }
    }

    @Test
    void onlyTheAdminScopeReadsAnotherUsersUsageAndAnyOtherUserIsRefusedAlike() {
        String nobody = "nobody-" + UUID.randomUUID();
        for (String path : List.of("/v1/usage", "/v1/usage/runs")) {
            Lambda.HttpResult admin = Lambda.http(HttpApiEvent.get(path).admin("operator").query("month", "2026-11")
                    .query("userId", USER));
            assertEquals(200, admin.status(), () -> admin.body().toString());

            Lambda.HttpResult existing = Lambda.http(HttpApiEvent.get(path).user("intruder").query("month", "2026-11")
                    .query("userId", USER));
            Lambda.HttpResult missing = Lambda.http(HttpApiEvent.get(path).user("intruder").query("month", "2026-11")
                    .query("userId", nobody));
            dev.runmeter.support.Problems.assertProblem(existing, 403, "forbidden");
            assertEquals(missing.status(), existing.status());
            assertEquals(missing.body(), existing.body());
        }
        Lambda.HttpResult admin = Lambda.http(usage().admin("operator").query("userId", USER));
        assertTrue(admin.body().get("usedMs").asLong() >= 30 * 60_000, admin.body()::toString);
    }

    @AfterAll
    static void atLeastFiftyCases() {
        assertTrue(casesRun == 0 || casesRun >= 50, "only " + casesRun + " hostile cases ran");
    }

    private static String encode(String plain) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }
}
