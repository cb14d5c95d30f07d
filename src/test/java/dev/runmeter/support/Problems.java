package dev.runmeter.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

/** What every error document must look like, whatever the request was. */
public final class Problems {

    /** Text that only a leaked exception, stack trace or statement would put into a document. */
    private static final List<String> LEAKS = List.of("Exception", "\tat ", "at dev.runmeter", "org.postgresql",
            "SQLState", "ERROR:", "pg_advisory", "hashtextextended", "FROM agent_runs WHERE", "INSERT INTO",
            "jdbc:", "password", "Caused by");

    private Problems() {
    }

    public static void assertProblem(Lambda.HttpResult result, int status, String code) {
        assertEquals(status, result.status(), () -> String.valueOf(result.body()));
        assertEquals("application/problem+json", result.contentType());
        JsonNode body = result.body();
        Set<String> fields = new TreeSet<>();
        body.fieldNames().forEachRemaining(fields::add);
        assertEquals(new TreeSet<>(Set.of("type", "title", "status", "detail", "code")), fields, body::toString);
        assertEquals(status, body.get("status").asInt());
        assertEquals(code, body.get("code").asText(), body::toString);
        assertEquals("https://runmeter.dev/problems/" + code.replace('_', '-'), body.get("type").asText());
        assertClean(body.toString());
    }

    /** No stack trace, exception, SQL or connection detail in what a caller is shown. */
    public static void assertClean(String document) {
        for (String leak : LEAKS) {
            assertFalse(document.contains(leak), () -> "'" + leak + "' leaked into " + document);
        }
    }
}
