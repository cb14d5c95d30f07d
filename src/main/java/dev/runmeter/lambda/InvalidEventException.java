package dev.runmeter.lambda;

/**
 * The event a function was invoked with is not one it accepts (not JSON, the wrong kind of event, a field
 * missing or of the wrong type). Lambda reports it with this class's name as the error type, so callers such as the
 * state machine's Catch can tell it from a transient fault. Nothing has been written when it is thrown.
 */
public class InvalidEventException extends RuntimeException {

    public InvalidEventException(String message) {
        super(message);
    }
}
