package dev.runmeter.runs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import jakarta.inject.Named;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;

import dev.runmeter.lambda.Events;
import dev.runmeter.logging.RunLogContext;

/**
 * The {@code run-finalizer} function, invoked by the state machine. Bad input and unknown runs are typed Lambda
 * errors ({@code dev.runmeter.lambda.InvalidEventException}, {@code dev.runmeter.runs.RunNotFoundException}) that
 * the state machine does not retry; database faults surface as ordinary errors that it retries.
 */
@Named("run-finalizer")
public class RunFinalizerHandler implements RequestStreamHandler {

    private final RunFinalizer finalizer;

    public RunFinalizerHandler(RunFinalizer finalizer) {
        this.finalizer = finalizer;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        try {
            Finalization finalization = Finalization.parse(Events.readObject(input));
            Events.JSON.writeValue(output, finalizer.finalize(finalization));
        } finally {
            RunLogContext.clear();
        }
    }
}
