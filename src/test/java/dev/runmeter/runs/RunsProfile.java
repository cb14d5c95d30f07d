package dev.runmeter.runs;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Serves the {@code runs} handler on the Lambda mock event server. */
public class RunsProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("quarkus.lambda.handler", "runs");
    }
}
