package dev.runmeter.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The agent-run state machine definition as Step Functions receives it: CloudFormation replaces each
 * {@code ${Name}} of DefinitionSubstitutions as plain text before the JSON is parsed, and so does this class.
 */
final class AgentRunDefinition {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9]+)}");

    private final String text;

    private AgentRunDefinition(String text) {
        this.text = text;
    }

    static AgentRunDefinition at(Path file) {
        try {
            return new AgentRunDefinition(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Set<String> placeholders() {
        Set<String> names = new TreeSet<>();
        Matcher placeholder = PLACEHOLDER.matcher(text);
        while (placeholder.find()) {
            names.add(placeholder.group(1));
        }
        return names;
    }

    /** The definition with every placeholder replaced; fails on a placeholder without a value. */
    JsonNode substituted(Map<String, String> values) {
        Matcher placeholder = PLACEHOLDER.matcher(text);
        StringBuilder resolved = new StringBuilder();
        while (placeholder.find()) {
            String value = values.get(placeholder.group(1));
            if (value == null) {
                throw new AssertionError("no substitution for ${" + placeholder.group(1) + "}");
            }
            placeholder.appendReplacement(resolved, Matcher.quoteReplacement(value));
        }
        try {
            return new ObjectMapper().readTree(placeholder.appendTail(resolved).toString());
        } catch (IOException e) {
            throw new AssertionError("the substituted definition is not JSON", e);
        }
    }

    /**
     * The definition as deployed with the template's default parameters. Substitutions that name other resources
     * (the queue URL, the finalizer's ARN) become marker strings that say which resource they stand for.
     */
    static JsonNode deployedWithDefaults(SamTemplate template) {
        Map<String, Object> machine = template.properties(stateMachineId(template));
        Map<String, String> values = new LinkedHashMap<>();
        SamTemplate.map(machine.get("DefinitionSubstitutions")).forEach((name, value) -> {
            Map<String, Object> intrinsic = SamTemplate.map(value);
            boolean parameter = intrinsic != null && intrinsic.get("Ref") instanceof String ref
                    && ref.matches("[A-Za-z0-9]+") && !template.resources().containsKey(ref);
            values.put(name, parameter ? template.withDefaults(value) : "resource:" + describe(intrinsic));
        });
        return at(file(template)).substituted(values);
    }

    static String stateMachineId(SamTemplate template) {
        var machines = template.resourcesOfType("AWS::Serverless::StateMachine");
        if (machines.size() != 1) {
            throw new AssertionError("expected one state machine, found " + machines);
        }
        return machines.get(0);
    }

    static Path file(SamTemplate template) {
        return SamTemplate.DIRECTORY.resolve((String) template.properties(stateMachineId(template)).get("DefinitionUri"));
    }

    /** {@code Ref AgentWorkQueue} or {@code GetAtt RunFinalizerFunction.Arn}, as a marker a test can compare. */
    static String describe(Map<String, Object> intrinsic) {
        if (intrinsic != null && intrinsic.get("Ref") instanceof String ref) {
            return "Ref " + ref;
        }
        if (intrinsic != null && intrinsic.get("Fn::GetAtt") instanceof java.util.List<?> getAtt) {
            return "GetAtt " + getAtt.get(0) + "." + getAtt.get(1);
        }
        throw new AssertionError("unexpected substitution value " + intrinsic);
    }
}
