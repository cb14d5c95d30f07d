package dev.runmeter.http;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** RFC 9457 problem details, with runmeter's machine-readable {@code code}. */
@RegisterForReflection
public record Problem(String type, String title, int status, String detail, String code) {
}
