package dev.runmeter.usage;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * The same agreement with a time box of 3 hours while the roll-up was computed for 2 (billing_basis): the month
 * must then be computed live. Had the roll-up been used, every finished run lasting between 2 and 3 hours (the
 * random rows hold many) would bill at most 2 hours and the totals would disagree with BillingRules.
 */
@QuarkusTest
@TestProfile(LiveUsageFallbackTest.ThreeHourTimeBox.class)
class LiveUsageFallbackTest extends BillingRulesAgreementTest {

    public static class ThreeHourTimeBox implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("runmeter.runs.max-duration", "PT3H");
        }
    }
}
