package dev.runmeter.runs;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.lambda.Events;
import dev.runmeter.lambda.InvalidEventException;

/**
 * How the state machine says a run ended: {@code {"runId", "outcome", "error"?, "cause"?, "completedAt"?}}.
 *
 * @param completedAt null for "now"
 */
public record Finalization(UUID runId, boolean succeeded, String error, String cause, OffsetDateTime completedAt) {

    private static final Set<String> FIELDS = Set.of("runId", "outcome", "error", "cause", "completedAt");

    /** @throws InvalidEventException for anything but a well-formed finalization */
    public static Finalization parse(JsonNode event) {
        event.fieldNames().forEachRemaining(field -> {
            if (!FIELDS.contains(field)) {
                throw new InvalidEventException("Unknown field '" + field + "'; a finalization has " + FIELDS);
            }
        });
        String runId = Events.text(event, "runId");
        if (runId == null) {
            throw new InvalidEventException("runId is required");
        }
        UUID id;
        try {
            id = UUID.fromString(runId);
        } catch (IllegalArgumentException e) {
            throw new InvalidEventException("runId must be a UUID");
        }
        if (!runId.equalsIgnoreCase(id.toString())) {
            throw new InvalidEventException("runId must be a UUID in its canonical form");
        }
        String outcome = Events.text(event, "outcome");
        if (!"succeeded".equals(outcome) && !"failed".equals(outcome)) {
            throw new InvalidEventException("outcome must be \"succeeded\" or \"failed\"");
        }
        return new Finalization(id, outcome.equals("succeeded"), Events.text(event, "error"),
                Events.text(event, "cause"), completedAt(Events.text(event, "completedAt")));
    }

    private static OffsetDateTime completedAt(String text) {
        if (text == null) {
            return null;
        }
        OffsetDateTime completedAt;
        try {
            completedAt = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        } catch (DateTimeParseException e) {
            throw new InvalidEventException("completedAt must be an ISO-8601 timestamp with an offset, e.g. "
                    + "2026-11-20T10:15:30Z");
        }
        // ISO-8601's four-digit years; PostgreSQL cannot store some of the years java.time accepts
        int year = completedAt.atZoneSameInstant(ZoneOffset.UTC).getYear();
        if (year < 1 || year > 9999) {
            throw new InvalidEventException("completedAt must be in the years 0001 to 9999");
        }
        return completedAt;
    }
}
