package dev.runmeter.infra;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Every {@code QUARKUS_*} variable infra/template.yaml sets names a property the running application really has:
 * Quarkus ignores an environment variable that matches no property, so a misspelled one would silently leave
 * the default in place (for example migrating at every cold start, or no database URL).
 */
@QuarkusTest
class TemplateQuarkusSettingsTest {

    @Test
    void everyQuarkusVariableOfTheTemplateIsAPropertyOfTheApplication() {
        Set<String> known = new TreeSet<>();
        for (String property : ConfigProvider.getConfig().getPropertyNames()) {
            known.add(CompiledCode.environmentVariable(property.replaceFirst("^%[^.]+\\.", "")));
        }
        SamTemplate template = SamTemplate.load();
        Set<String> checked = new TreeSet<>();
        for (String function : template.functions()) {
            for (String variable : template.environment(function).keySet()) {
                if (variable.startsWith("QUARKUS_")) {
                    assertTrue(known.contains(variable), function + ": " + variable + " is no property of the application");
                    checked.add(variable);
                }
            }
        }
        assertTrue(checked.contains("QUARKUS_LAMBDA_HANDLER") && checked.contains("QUARKUS_DATASOURCE_JDBC_URL"), checked.toString());
    }
}
