package dev.runmeter.usage;

import java.util.List;
import java.util.regex.Pattern;

import jakarta.inject.Named;

import dev.runmeter.http.ApiProblem;
import dev.runmeter.http.HttpApiHandler;
import dev.runmeter.http.HttpRequest;
import dev.runmeter.http.Response;
import dev.runmeter.http.Route;
import dev.runmeter.http.Identifiers;

/** The {@code usage} function: {@code GET /v1/usage} and {@code GET /v1/usage/runs}. */
@Named("usage")
public class UsageHandler extends HttpApiHandler {

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;
    private static final Pattern LIMIT = Pattern.compile("[0-9]{1,4}");

    private final UsageService usage;
    private final List<Route> routes;

    public UsageHandler(UsageService usage) {
        this.usage = usage;
        this.routes = List.of(
                new Route("GET", "/v1/usage", this::usage),
                new Route("GET", "/v1/usage/runs", this::runs));
    }

    @Override
    public List<Route> routes() {
        return routes;
    }

    private Response usage(HttpRequest request) {
        String userId = request.caller().actingFor(userIdParameter(request));
        return Response.ok(usage.usage(userId, month(request)));
    }

    private Response runs(HttpRequest request) {
        String userId = request.caller().actingFor(userIdParameter(request));
        BillingMonth month = month(request);
        int limit = limit(request.query("limit"));
        return Response.ok(usage.runs(userId, month, position(request.query("cursor")), limit));
    }

    private static UsageStore.Position position(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            return Cursor.decode(cursor);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalidRequest("cursor is not a cursor from a previous page");
        }
    }

    private static String userIdParameter(HttpRequest request) {
        String userId = request.query("userId");
        if (userId != null && !Identifiers.isUserId(userId)) {
            throw ApiProblem.invalidRequest("userId must be 1 to " + Identifiers.MAX_USER_ID_LENGTH
                    + " printable characters");
        }
        return userId;
    }

    private BillingMonth month(HttpRequest request) {
        String month = request.query("month");
        if (month == null) {
            return usage.currentMonth();
        }
        try {
            return usage.month(month);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid_month", e.getMessage());
        }
    }

    private static int limit(String text) {
        if (text == null) {
            return DEFAULT_PAGE;
        }
        // ASCII digits only: Integer.parseInt would also take "+5" and digits of other scripts
        if (LIMIT.matcher(text).matches()) {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_PAGE) {
                return limit;
            }
        }
        throw ApiProblem.invalidRequest("limit must be an integer from 1 to " + MAX_PAGE);
    }
}
