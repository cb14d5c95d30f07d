package dev.runmeter.support;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import jakarta.inject.Singleton;

/** Replaces the application's clock in Quarkus tests: the system clock until a test sets a fixed instant. */
@Singleton
public class TestClock extends Clock {

    private volatile Instant fixed;

    public void set(String instant) {
        fixed = Instant.parse(instant);
    }

    public void set(Instant instant) {
        fixed = instant;
    }

    public void reset() {
        fixed = null;
    }

    @Override
    public Instant instant() {
        Instant now = fixed;
        return now == null ? Instant.now() : now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("runmeter reads instants only");
    }
}
