package dev.runmeter.usage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

import dev.runmeter.usage.UsageStore.Position;

/** The opaque {@code nextCursor} of a run list: the position of the last run of the page, base64url-encoded. */
final class Cursor {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private Cursor() {
    }

    static String encode(Position position) {
        String plain = position.startedAt() + "|" + position.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException when the text is not a cursor this class made */
    static Position decode(String cursor) {
        if (cursor.length() > 200) {
            throw new IllegalArgumentException("cursor too long");
        }
        String plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        int bar = plain.indexOf('|');
        if (bar < 0) {
            throw new IllegalArgumentException("not a cursor");
        }
        Position position;
        try {
            position = new Position(Instant.parse(plain.substring(0, bar)), UUID.fromString(plain.substring(bar + 1)));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a cursor", e);
        }
        // only what encode makes: no lenient UUID forms, no instants PostgreSQL cannot compare against
        if (!encode(position).equals(cursor) || position.startedAt().isBefore(EARLIEST)
                || position.startedAt().isAfter(LATEST)) {
            throw new IllegalArgumentException("not a cursor");
        }
        return position;
    }
}
