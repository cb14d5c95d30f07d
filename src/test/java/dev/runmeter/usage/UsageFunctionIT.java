package dev.runmeter.usage;

import dev.runmeter.support.IntegrationTestDatabase;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link UsageFunctionBlackBoxTest} against the built artifact; with {@code -Dnative}, the native binary. */
@QuarkusIntegrationTest
@WithTestResource(IntegrationTestDatabase.class)
class UsageFunctionIT extends UsageFunctionBlackBoxTest {
}
