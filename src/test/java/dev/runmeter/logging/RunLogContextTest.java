package dev.runmeter.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runmeter.runs.RunsProfile;
import dev.runmeter.support.FakeStepFunctions;
import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.RunRows;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** Lines about a run carry its run id and user id as structured fields (mdc.runId, mdc.userId in the JSON log). */
@QuarkusTest
@TestProfile(RunsProfile.class)
@WithTestResource(FakeStepFunctions.class)
class RunLogContextTest {

    private final List<ExtLogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getMessage() != null && record instanceof ExtLogRecord ext) {
                ext.copyMdc();
                records.add(ext);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        Logger.getLogger("dev.runmeter").addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        Logger.getLogger("dev.runmeter").removeHandler(capture);
    }

    @Test
    void startingARunLogsItsRunIdAndUserId() {
        String user = RunRows.newUser();
        String runId = Lambda.http(HttpApiEvent.post("/v1/runs").user(user)).body().get("runId").asText();

        ExtLogRecord started = startedLine(runId);
        assertEquals(runId, started.getMdc(RunLogContext.RUN_ID));
        assertEquals(user, started.getMdc(RunLogContext.USER_ID));
    }

    private ExtLogRecord startedLine(String runId) {
        return records.stream()
                .filter(record -> record.getFormattedMessage().startsWith("Started agent run " + runId))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no start line for " + runId + " in " + records.size() + " lines"));
    }
}
