package dev.runmeter.sweep;

import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.lambda.Events;
import dev.runmeter.lambda.InvalidEventException;

/**
 * What a sweep invocation asks for: an EventBridge {@code Scheduled Event} means {@code all}; a direct invoke says
 * {@code {"mode": "stats" | "fix" | "all", "dryRun": false}} (the original cleanup script's --stats, --fix, --all).
 */
public record SweepRequest(Mode mode, boolean dryRun) {

    public enum Mode {
        STATS, FIX, ALL;

        boolean fixes() {
            return this != STATS;
        }

        boolean reportsStats() {
            return this != FIX;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Set<String> DIRECT_FIELDS = Set.of("mode", "dryRun");

    /** @throws InvalidEventException for any other event */
    public static SweepRequest parse(JsonNode event) {
        if (event.has("detail-type")) {
            String detailType = Events.text(event, "detail-type");
            if (!"Scheduled Event".equals(detailType) || !"aws.events".equals(Events.text(event, "source"))) {
                throw new InvalidEventException("The sweep accepts EventBridge 'Scheduled Event' documents only, not '"
                        + detailType + "'");
            }
            return new SweepRequest(Mode.ALL, false);
        }
        event.fieldNames().forEachRemaining(field -> {
            if (!DIRECT_FIELDS.contains(field)) {
                throw new InvalidEventException("Unknown field '" + field + "'; a sweep takes mode and dryRun");
            }
        });
        String mode = Events.text(event, "mode");
        if (mode == null || !Set.of("stats", "fix", "all").contains(mode)) {
            throw new InvalidEventException("mode must be \"stats\", \"fix\" or \"all\"");
        }
        JsonNode dryRun = event.get("dryRun");
        if (dryRun != null && !dryRun.isBoolean() && !dryRun.isNull()) {
            throw new InvalidEventException("dryRun must be true or false");
        }
        return new SweepRequest(Mode.valueOf(mode.toUpperCase(Locale.ROOT)), dryRun != null && dryRun.asBoolean());
    }
}
