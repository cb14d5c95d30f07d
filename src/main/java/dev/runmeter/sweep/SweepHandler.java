package dev.runmeter.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import jakarta.inject.Named;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.lambda.Events;

/**
 * The {@code sweep} function: invoked by the EventBridge schedule, or directly by an operator. Bad input is a
 * typed Lambda error ({@code dev.runmeter.lambda.InvalidEventException}).
 */
@Named("sweep")
public class SweepHandler implements RequestStreamHandler {

    /** Left of the function's timeout for the last batch to finish and the report to be written. */
    private static final Duration SAFETY_MARGIN = Duration.ofSeconds(20);

    private final Sweeper sweeper;
    private final Clock clock;
    private final Duration timeBudget;

    public SweepHandler(Sweeper sweeper, Clock clock, RunmeterConfig config) {
        this.sweeper = sweeper;
        this.clock = clock;
        this.timeBudget = config.sweep().timeBudget();
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        SweepRequest request = SweepRequest.parse(Events.readObject(input));
        Duration budget = timeBudget;
        if (context != null && context.getRemainingTimeInMillis() > 0) {
            Duration remaining = Duration.ofMillis(context.getRemainingTimeInMillis()).minus(SAFETY_MARGIN);
            budget = remaining.compareTo(budget) < 0 ? remaining : budget;
        }
        Instant stopBy = clock.instant().plus(budget);
        Events.JSON.writeValue(output, sweeper.sweep(request, stopBy));
    }
}
