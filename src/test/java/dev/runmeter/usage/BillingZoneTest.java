package dev.runmeter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Billing months in a zone other than UTC, November 2026 in New York: it starts in EDT and ends in EST. */
@QuarkusTest
@TestProfile(BillingZoneTest.NewYork.class)
class BillingZoneTest {

    public static class NewYork implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("runmeter.billing.zone", "America/New_York");
        }
    }

    private static final long MINUTE = 60_000;

    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private long usedMs(String user, String month) {
        JsonNode usage = Lambda.http(HttpApiEvent.get("/v1/usage").user(user).query("month", month)).body();
        assertEquals(month, usage.get("month").asText());
        return usage.get("usedMs").asLong();
    }

    @Test
    void monthsStartAndEndAtLocalMidnightAcrossTheDaylightSavingChange() {
        RunRows rows = new RunRows(dataSource);
        String user = RunRows.newUser();
        // local midnight opening November is 04:00Z (EDT); the one closing it is 05:00Z (EST)
        rows.completed(user, "2026-11-01T03:30:00Z", "2026-11-01T04:30:00Z");
        // 01:30 local happens twice on 1 November: both hours are November
        rows.completed(user, "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z");
        rows.completed(user, "2026-12-01T04:40:00Z", "2026-12-01T05:10:00Z");

        assertEquals(30 * MINUTE, usedMs(user, "2026-10"));
        assertEquals((30 + 60 + 20) * MINUTE, usedMs(user, "2026-11"));
        assertEquals(10 * MINUTE, usedMs(user, "2026-12"));
    }

    @Test
    void theCurrentMonthIsNewYorksMonth() {
        clock.set("2026-12-01T03:00:00Z"); // still 30 November, 22:00, in New York
        JsonNode usage = Lambda.http(HttpApiEvent.get("/v1/usage").user(RunRows.newUser())).body();
        assertEquals("2026-11", usage.get("month").asText());
    }
}
