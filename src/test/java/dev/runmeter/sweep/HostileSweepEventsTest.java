package dev.runmeter.sweep;

import static dev.runmeter.support.HostileEvent.invalid;
import static dev.runmeter.support.HostileEvent.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;

import dev.runmeter.support.DatabaseSnapshot;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HostileEvent;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.RunRows;
import dev.runmeter.support.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The {@code sweep} function against malformed and hostile invocations: each is a typed Lambda error, Step
 * Functions is never asked, and the overdue run that a sweep would settle is left as it is. The clock stands in
 * 2001 so that only this test's run is overdue.
 */
@QuarkusTest
@TestProfile(SweepFunctionTest.Sweep.class)
@QuarkusTestResource(FakeStepFunctions.class)
class HostileSweepEventsTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static int casesRun;

    @FakeStepFunctions.Inject
    WireMockServer stepFunctions;
    @Inject
    DataSource dataSource;
    @Inject
    TestClock clock;

    RunRows rows;

    @BeforeEach
    void setUp() {
        FakeStepFunctions.reset(stepFunctions);
        rows = new RunRows(dataSource);
        clock.set("2001-03-01T12:00:00Z");
        rows.running(RunRows.newUser(), "2001-03-01T09:00:00Z");
    }

    @AfterEach
    void cleanUp() {
        rows.execute("DELETE FROM agent_runs WHERE started_at < '2002-01-01T00:00:00Z'");
        clock.reset();
    }

    static List<HostileEvent> cases() {
        List<HostileEvent> cases = new ArrayList<>();
        ObjectNode scheduled = HostileEvent.sample("eventbridge-scheduled.json");
        cases.add(invalid("empty input", ""));
        cases.add(invalid("not JSON", "sweep everything"));
        cases.add(invalid("JSON null", "null"));
        cases.add(invalid("a JSON array", "[{\"mode\": \"fix\"}]"));
        cases.add(invalid("a JSON string", "\"fix\""));
        cases.add(invalid("a number", "3"));
        cases.add(invalid("truncated", "{\"mode\": \"fi"));
        cases.add(invalid("two requests in one", "{\"mode\": \"fix\"}{\"mode\": \"fix\"}"));
        cases.add(invalid("duplicate mode", "{\"mode\": \"stats\", \"mode\": \"fix\"}"));
        cases.add(invalid("nested 10000 deep", "{\"mode\": " + HostileEvent.deeplyNested(10_000) + "}"));
        cases.add(invalid("empty object", "{}"));
        cases.add(invalid("dryRun without a mode", "{\"dryRun\": false}"));
        for (String mode : List.of("FIX", "Fix", "", " fix", "fix ", "fix\u0000", "everything", "stat",
                "stats,fix", "fix\nall")) {
            cases.add(invalid("mode " + HostileEvent.printable(mode), "{\"mode\": \""
                    + mode.replace("\u0000", "\\u0000").replace("\n", "\\n") + "\"}"));
        }
        for (String mode : List.of("null", "1", "true", "[\"fix\"]", "{\"name\": \"fix\"}")) {
            cases.add(invalid("mode " + mode, "{\"mode\": " + mode + "}"));
        }
        for (String dryRun : List.of("\"true\"", "\"false\"", "1", "0", "\"yes\"", "[]", "{}", "-1",
                "1e999999")) {
            cases.add(invalid("dryRun " + dryRun, "{\"mode\": \"fix\", \"dryRun\": " + dryRun + "}"));
        }
        for (String injection : HostileEvent.SQL_INJECTIONS) {
            String quoted = injection.replace("\"", "\\\"");
            cases.add(invalid("SQL injection as mode: " + injection, "{\"mode\": \"" + quoted + "\"}"));
            cases.add(invalid("SQL injection as a field name: " + injection, "{\"mode\": \"fix\", \"" + quoted
                    + "\": true}"));
        }
        for (String field : List.of("force", "runId", "userId", "limit", "olderThan", "__proto__", "Mode")) {
            cases.add(invalid("extra field " + field, "{\"mode\": \"fix\", \"" + field + "\": \"x\"}"));
        }
        cases.add(invalid("another kind of EventBridge event", with(scheduled, "/detail-type",
                NODES.textNode("EC2 Instance State-change Notification"))));
        cases.add(invalid("detail-type in another case", with(scheduled, "/detail-type",
                NODES.textNode("scheduled event"))));
        cases.add(invalid("detail-type null", with(scheduled, "/detail-type", NODES.nullNode())));
        cases.add(invalid("detail-type a number", with(scheduled, "/detail-type", NODES.numberNode(1))));
        cases.add(invalid("a scheduled event from another source", with(scheduled, "/source",
                NODES.textNode("evil.corp"))));
        cases.add(invalid("a scheduled event without a source", with(scheduled, "/source", null)));
        cases.add(invalid("a scheduled event whose source is a number", with(scheduled, "/source",
                NODES.numberNode(7))));
        cases.add(invalid("an HTTP API event", HttpApiEvent.get("/v1/usage").json()));
        cases.add(invalid("a finalization", "{\"runId\": \"0b5a3c1e-9f5b-4b7e-8d7e-2f3c4d5e6f70\", "
                + "\"outcome\": \"succeeded\"}"));
        cases.add(invalid("an SQS batch", "{\"Records\": [{\"eventSource\": \"aws:sqs\", \"body\": "
                + "\"{\\\"mode\\\": \\\"fix\\\"}\"}]}"));
        cases.add(invalid("an SNS notification", "{\"Records\": [{\"EventSource\": \"aws:sns\", \"Sns\": "
                + "{\"Message\": \"{\\\"mode\\\": \\\"fix\\\"}\"}}]}"));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isATypedErrorAndChangesNothing(HostileEvent event) {
        DatabaseSnapshot.assertUnchangedBy(dataSource, event.name(), event::assertRefused);
        assertEquals(0, stepFunctions.getAllServeEvents().size(), () -> event.name() + " reached Step Functions");
        casesRun++;
    }

    @AfterAll
    static void atLeastFiftyCases() {
        assertTrue(casesRun == 0 || casesRun >= 50, "only " + casesRun + " hostile cases ran");
    }
}
