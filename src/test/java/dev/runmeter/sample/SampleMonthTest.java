package dev.runmeter.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.sample.SampleMonthGenerator.SampleMonth;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.TestClock;
import dev.runmeter.sweep.SweepRequest;
import dev.runmeter.sweep.Sweeper;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Keeps the README's walkthrough true: loads the sample month that {@code quarkus:dev} loads, posts the README's
 * event to the real usage function, and checks the figures the README quotes, the original method's included.
 */
@QuarkusTest
class SampleMonthTest {

    /** The instant the README's figures are stated for (the sample event's requestContext.time). */
    static final Instant AS_OF = Instant.parse("2026-12-03T15:00:00Z");
    static final YearMonth NOVEMBER = YearMonth.of(2026, 11);
    static final SampleMonth SAMPLE = SampleMonthGenerator.generate();

    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;
    @Inject
    Sweeper sweeper;

    @BeforeEach
    void loadTheSampleMonth() throws SQLException, IOException {
        removeTheSampleMonth();
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(Files.readString(SampleMonthGenerator.FILE));
        }
    }

    /** Other test classes share the database: the sample's overdue runs must not show up in their sweeps. */
    @AfterEach
    void removeTheSampleMonth() throws SQLException {
        clock.reset();
        try (Connection connection = dataSource.getConnection()) {
            for (String table : new String[] {"agent_runs", "accounts"}) {
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM " + table + " WHERE user_id = ANY (?)")) {
                    delete.setArray(1, connection.createArrayOf("text", SAMPLE.userIds().toArray()));
                    delete.executeUpdate();
                }
            }
        }
    }

    @Test
    void theReadmesEventAsksForTheShowcaseUsersNovember() throws IOException {
        JsonNode event = HttpApiEvent.JSON.readTree(Files.readString(Path.of("events", "usage-showcase-user.json")));

        assertEquals(SAMPLE.showcaseUser(), event.at("/requestContext/authorizer/jwt/claims/sub").asText());
        assertEquals("month=2026-11", event.get("rawQueryString").asText());
        assertEquals(AS_OF.toEpochMilli(), event.at("/requestContext/timeEpoch").asLong());
    }

    @Test
    void theUsageFunctionBillsTheShowcaseUserForRealWorkOnlyBeforeAndAfterTheSweep() throws IOException {
        clock.set(AS_OF);

        assertEquals("""
                {"userId":"8ffb5d42-a447-4694-b628-ec66a39b22dd","month":"2026-11","plan":"free","limitMinutes":60,\
                "usedMinutes":32.22,"inFlightMinutes":0.00,"remainingMinutes":27.78,"limitReached":false,\
                "usedMs":1933301,"inFlightMs":0,"runs":{"running":2,"completed":8,"failed":0,"stopped":1}}""",
                usageBodyForTheReadmesEvent());

        // dev mode sweeps 10 s after it starts: the crashed runs have no execution, so they fail as stuck
        sweeper.sweep(new SweepRequest(SweepRequest.Mode.FIX, false), AS_OF.plus(Duration.ofMinutes(4)));

        assertEquals("""
                {"userId":"8ffb5d42-a447-4694-b628-ec66a39b22dd","month":"2026-11","plan":"free","limitMinutes":60,\
                "usedMinutes":32.22,"inFlightMinutes":0.00,"remainingMinutes":27.78,"limitReached":false,\
                "usedMs":1933301,"inFlightMs":0,"runs":{"running":0,"completed":8,"failed":2,"stopped":1}}""",
                usageBodyForTheReadmesEvent());
    }

    @Test
    void theUsageFunctionGivesTheSameAnswerWheneverItIsAskedAfterTheMonth() throws IOException {
        clock.set(AS_OF);
        String asOfTheReadme = usageBodyForTheReadmesEvent();
        clock.set("2027-06-30T23:59:59Z");

        assertEquals(asOfTheReadme, usageBodyForTheReadmesEvent());
    }

    @Test
    void theOriginalMethodCountsEachCrashedRunUpToNow() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Duration asOfTheReadme = OriginalMethod.monthlyUsage(connection, SAMPLE.showcaseUser(), NOVEMBER, AS_OF);
            Duration anHourLater = OriginalMethod.monthlyUsage(connection, SAMPLE.showcaseUser(), NOVEMBER,
                    AS_OF.plus(Duration.ofHours(1)));

            assertEquals(1_836_499_959L, asOfTheReadme.toMillis()); // 30,608.33 minutes, about 510 hours
            assertEquals(Duration.ofHours(2), anHourLater.minus(asOfTheReadme)); // two crashed runs
        }
    }

    @Test
    void theSampleHasTheShapeTheReadmeDescribes() throws SQLException {
        assertEquals(3435, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?)"));
        assertEquals(270, count("SELECT count(DISTINCT user_id) FROM agent_runs WHERE user_id = ANY (?)"));
        assertEquals(3065, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?)"
                + " AND started_at >= '2026-11-01T00:00:00Z' AND started_at < '2026-12-01T00:00:00Z'"));
        assertEquals(141, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?) AND status = 'running'"));
        assertEquals(199, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?) AND status = 'failed'"));
        assertEquals(191, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?) AND status = 'stopped'"));
        assertEquals(38, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?)"
                + " AND status <> 'running' AND completed_at IS NULL"));
        assertEquals(9, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?)"
                + " AND status = 'completed' AND completed_at - started_at > interval '2 hours'"));
        assertEquals(15, count("SELECT count(*) FROM agent_runs WHERE user_id = ANY (?)"
                + " AND (started_at < '2026-11-01T00:00:00Z' AND completed_at > '2026-11-01T00:00:00Z'"
                + "   OR started_at < '2026-12-01T00:00:00Z' AND completed_at > '2026-12-01T00:00:00Z')"));
        assertEquals(30, count("SELECT count(*) FROM accounts WHERE user_id = ANY (?) AND plan <> 'free'"));
    }

    private String usageBodyForTheReadmesEvent() throws IOException {
        String response = Lambda.invoke(Files.readString(Path.of("events", "usage-showcase-user.json"))).asString();
        JsonNode apiGatewayResponse = HttpApiEvent.JSON.readTree(response);
        assertEquals(200, apiGatewayResponse.get("statusCode").asInt(), response);
        return apiGatewayResponse.get("body").asText();
    }

    private long count(String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setArray(1, connection.createArrayOf("text", SAMPLE.userIds().toArray()));
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }
}
