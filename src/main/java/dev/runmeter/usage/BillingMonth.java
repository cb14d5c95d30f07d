package dev.runmeter.usage;

import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** A calendar month in the billing zone, as the half-open range of instants {@code [start, end)}. */
public record BillingMonth(YearMonth month, ZoneId zone, Instant start, Instant end) {

    private static final Pattern FORMAT = Pattern.compile("\\d{4}-(0[1-9]|1[0-2])");
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM");

    public static BillingMonth of(YearMonth month, ZoneId zone) {
        return new BillingMonth(month, zone,
                month.atDay(1).atStartOfDay(zone).toInstant(),
                month.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant());
    }

    public static BillingMonth current(Clock clock, ZoneId zone) {
        return of(YearMonth.from(clock.instant().atZone(zone)), zone);
    }

    /**
     * Parses {@code YYYY-MM} strictly (four-digit year from 1970, two-digit month).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static BillingMonth parse(String text, ZoneId zone) {
        if (text == null || !FORMAT.matcher(text).matches()) {
            throw new IllegalArgumentException("month must be YYYY-MM, e.g. 2026-11");
        }
        YearMonth month = YearMonth.parse(text, ISO);
        if (month.getYear() < 1970) {
            throw new IllegalArgumentException("month must not be before 1970-01");
        }
        return of(month, zone);
    }

    @Override
    public String toString() {
        return month.format(ISO);
    }
}
