package dev.runmeter.http;

/** Who is calling, as API Gateway's JWT authorizer vouched: the token's {@code sub} and whether it has admin scope. */
public record Caller(String userId, boolean admin) {

    public static final String ADMIN_SCOPE = "runmeter/admin";

    /** The user whose data the caller asks for: itself, or (admins only) another user. */
    public String actingFor(String requestedUserId) {
        if (requestedUserId == null || requestedUserId.equals(userId)) {
            return userId;
        }
        if (!admin) {
            throw new ApiProblem(403, "forbidden", "Forbidden", "Reading another user's data needs the "
                    + ADMIN_SCOPE + " scope");
        }
        return requestedUserId;
    }
}
