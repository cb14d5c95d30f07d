package dev.runmeter.runs;

/**
 * The finalizer was asked about a run that does not exist. A typed Lambda error (its class name is the error
 * type), so the state machine does not retry it as if it were transient.
 */
public class RunNotFoundException extends RuntimeException {

    public RunNotFoundException(String message) {
        super(message);
    }
}
