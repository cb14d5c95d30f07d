package dev.runmeter.bench;

import java.util.Arrays;
import java.util.Locale;

/** Latencies of one measured operation, in nanoseconds; percentiles by nearest rank. */
final class Samples {

    private final String name;
    private final long[] nanos;
    private int count;

    Samples(String name, int capacity) {
        this.name = name;
        this.nanos = new long[capacity];
    }

    void add(long elapsedNanos) {
        nanos[count++] = elapsedNanos;
    }

    String name() {
        return name;
    }

    int capacity() {
        return nanos.length;
    }

    int count() {
        return count;
    }

    double percentileMs(double percentile) {
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percentile / 100.0 * count);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    double p50() {
        return percentileMs(50);
    }

    double p99() {
        return percentileMs(99);
    }

    double meanMs() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += nanos[i];
        }
        return sum / 1e6 / count;
    }

    static String ms(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%.0f", value)
                : value >= 10 ? String.format(Locale.ROOT, "%.1f", value)
                        : String.format(Locale.ROOT, "%.2f", value);
    }

    static String ratio(double value) {
        return String.format(Locale.ROOT, value >= 10 ? "%.0fx" : "%.1fx", value);
    }
}
