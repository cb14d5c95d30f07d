package dev.runmeter.usage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

import dev.runmeter.usage.UsageStore.Position;

/** The opaque {@code nextCursor} of a run list: the position of the last run of the page, base64url-encoded. */
final class Cursor {

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
        try {
            UUID id = UUID.fromString(plain.substring(bar + 1));
            return new Position(Instant.parse(plain.substring(0, bar)), id);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a cursor", e);
        }
    }
}
