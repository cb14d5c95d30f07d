package dev.runmeter.http;

/** A successful answer: a status and a document to send as JSON. */
public record Response(int status, Object document) {

    public static Response ok(Object document) {
        return new Response(200, document);
    }
}
