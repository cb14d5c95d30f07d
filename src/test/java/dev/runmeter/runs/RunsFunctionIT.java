package dev.runmeter.runs;

import dev.runmeter.support.IntegrationTestDatabase;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link RunsFunctionBlackBoxTest} against the built artifact; with {@code -Dnative}, the native binary. */
@QuarkusIntegrationTest
@WithTestResource(IntegrationTestDatabase.class)
class RunsFunctionIT extends RunsFunctionBlackBoxTest {
}
