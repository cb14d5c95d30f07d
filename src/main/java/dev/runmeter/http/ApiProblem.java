package dev.runmeter.http;

/** An answer of the HTTP API that is not a success: becomes an {@code application/problem+json} response. */
public class ApiProblem extends RuntimeException {

    private final int status;
    private final String code;
    private final String title;

    public ApiProblem(int status, String code, String title, String detail) {
        super(detail);
        this.status = status;
        this.code = code;
        this.title = title;
    }

    public static ApiProblem badRequest(String code, String detail) {
        return new ApiProblem(400, code, "Bad Request", detail);
    }

    public static ApiProblem invalidRequest(String detail) {
        return badRequest("invalid_request", detail);
    }

    public static ApiProblem notFound(String detail) {
        return new ApiProblem(404, "not_found", "Not Found", detail);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public Problem toDocument() {
        return new Problem("https://runmeter.dev/problems/" + code.replace('_', '-'), title, status, detail(), code);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // an answer, not a fault: no stack trace to build
    }
}
