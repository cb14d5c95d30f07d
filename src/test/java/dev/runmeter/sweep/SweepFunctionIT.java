package dev.runmeter.sweep;

import dev.runmeter.support.IntegrationTestDatabase;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link SweepFunctionBlackBoxTest} against the built artifact; with {@code -Dnative}, the native binary. */
@QuarkusIntegrationTest
@WithTestResource(IntegrationTestDatabase.class)
class SweepFunctionIT extends SweepFunctionBlackBoxTest {
}
