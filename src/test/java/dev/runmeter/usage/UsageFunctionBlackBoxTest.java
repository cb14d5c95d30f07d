package dev.runmeter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.support.HttpApiEvent;
import dev.runmeter.support.Lambda;
import dev.runmeter.support.Lambda.HttpResult;
import dev.runmeter.support.RunRows;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The {@code usage} function seen only through the Lambda wire, with the real clock and no injected beans, so
 * the same tests run against the packaged or native binary in {@link UsageFunctionIT}. They cover what a native
 * image gets wrong when reflection is missing: every document and nested document written in full.
 */
@QuarkusTest
class UsageFunctionBlackBoxTest {

    @Test
    void aNewUsersMonthIsEmptyAndWrittenInFull() {
        HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage").user(RunRows.newUser()));

        assertEquals(200, result.status(), () -> result.body().toString());
        JsonNode usage = result.body();
        assertEquals("free", usage.get("plan").asText());
        assertEquals(60, usage.get("limitMinutes").asInt());
        assertEquals(0, usage.get("usedMs").asLong());
        assertEquals("60.00", usage.get("remainingMinutes").asText());
        assertEquals(0, usage.get("runs").get("completed").asLong());
        assertEquals(4, usage.get("runs").size());
    }

    @Test
    void aNewUsersRunsPageIsEmpty() {
        HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage/runs").user(RunRows.newUser()).query("month", "2026-11"));

        assertEquals(200, result.status(), () -> result.body().toString());
        assertEquals("2026-11", result.body().get("month").asText());
        assertTrue(result.body().get("runs").isArray() && result.body().get("runs").isEmpty());
        assertTrue(result.body().get("nextCursor").isNull());
    }

    @Test
    void anInvalidMonthIsAProblemDocument() {
        HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage").user(RunRows.newUser()).query("month", "2026-13"));

        assertEquals(400, result.status());
        assertEquals("application/problem+json", result.contentType());
        assertEquals("invalid_month", result.code());
        assertEquals(400, result.body().get("status").asInt());
    }

    @Test
    void noClaimsIsUnauthorized() {
        HttpResult result = Lambda.http(HttpApiEvent.get("/v1/usage").anonymous());

        assertEquals(401, result.status());
        assertEquals("unauthorized", result.code());
    }
}
