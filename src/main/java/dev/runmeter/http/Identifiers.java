package dev.runmeter.http;

/**
 * Identifiers that runmeter stores and logs exactly as they came. PostgreSQL text can hold neither NUL nor half of
 * a surrogate pair (the driver would store a '?' instead, so two different user ids would become one user), and
 * control characters would let an id forge log lines. User ids also fit the columns: 1 to 256 characters.
 */
public final class Identifiers {

    public static final int MAX_USER_ID_LENGTH = 256;

    private Identifiers() {
    }

    public static boolean isUserId(String userId) {
        return userId != null && !userId.isBlank() && userId.codePointCount(0, userId.length()) <= MAX_USER_ID_LENGTH
                && isPrintable(userId);
    }

    /** No control characters and no unpaired surrogates: text that is stored and logged exactly as it was sent. */
    public static boolean isPrintable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
