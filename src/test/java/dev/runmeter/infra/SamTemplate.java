package dev.runmeter.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * infra/template.yaml as CloudFormation reads it: short tags such as {@code !Ref X} and {@code !GetAtt A.B} become
 * their long forms ({@code {"Ref": "X"}}, {@code {"Fn::GetAtt": ["A", "B"]}}), and SAM's Globals are merged into
 * each function the way the SAM transform merges them.
 */
final class SamTemplate {

    static final Path DIRECTORY = Path.of("infra");
    static final Path FILE = DIRECTORY.resolve("template.yaml");

    private final Map<String, Object> root;

    private SamTemplate(Map<String, Object> root) {
        this.root = root;
    }

    static SamTemplate load() {
        try {
            Yaml yaml = new Yaml(new CloudFormationConstructor());
            return new SamTemplate(yaml.load(Files.readString(FILE)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, Object> resources() {
        return map(root.get("Resources"));
    }

    Map<String, Object> resource(String logicalId) {
        Map<String, Object> resource = map(resources().get(logicalId));
        if (resource == null) {
            throw new AssertionError("template.yaml has no resource " + logicalId);
        }
        return resource;
    }

    Map<String, Object> properties(String logicalId) {
        return map(resource(logicalId).get("Properties"));
    }

    /** Logical ids of the resources of a type, in template order. */
    List<String> resourcesOfType(String type) {
        return resources().entrySet().stream()
                .filter(entry -> type.equals(map(entry.getValue()).get("Type")))
                .map(Map.Entry::getKey)
                .toList();
    }

    List<String> functions() {
        return resourcesOfType("AWS::Serverless::Function");
    }

    /** A function's properties after SAM's Globals merge: maps merge (the function wins), anything else is replaced. */
    Map<String, Object> functionProperties(String logicalId) {
        Map<String, Object> globals = map(map(root.getOrDefault("Globals", Map.of())).getOrDefault("Function", Map.of()));
        return merge(globals, properties(logicalId));
    }

    Map<String, Object> environment(String functionId) {
        return map(map(functionProperties(functionId).get("Environment")).get("Variables"));
    }

    String handler(String functionId) {
        return (String) environment(functionId).get("QUARKUS_LAMBDA_HANDLER");
    }

    Map<String, Object> parameter(String name) {
        Map<String, Object> parameter = map(map(root.get("Parameters")).get(name));
        if (parameter == null) {
            throw new AssertionError("template.yaml has no parameter " + name);
        }
        return parameter;
    }

    String parameterDefault(String name) {
        return String.valueOf(parameter(name).get("Default"));
    }

    Map<String, Object> outputs() {
        return map(root.get("Outputs"));
    }

    /**
     * The value of a {@code Ref} to a parameter or a {@code Fn::Sub} over parameters, with every parameter at its
     * default; what CloudFormation would pass for the deploy that takes the defaults.
     */
    String withDefaults(Object value) {
        Map<String, Object> intrinsic = map(value);
        if (intrinsic != null && intrinsic.containsKey("Ref")) {
            return parameterDefault((String) intrinsic.get("Ref"));
        }
        if (intrinsic != null && intrinsic.get("Fn::Sub") instanceof String text) {
            Matcher placeholder = Pattern.compile("\\$\\{([A-Za-z0-9]+)}").matcher(text);
            StringBuilder resolved = new StringBuilder();
            while (placeholder.find()) {
                placeholder.appendReplacement(resolved, Matcher.quoteReplacement(parameterDefault(placeholder.group(1))));
            }
            return placeholder.appendTail(resolved).toString();
        }
        throw new AssertionError("not a Ref or Sub over parameters: " + value);
    }

    /** Names of the parameters a {@code Ref} or {@code Fn::Sub} reads. */
    static Set<String> parametersReadBy(Object value) {
        Set<String> names = new TreeSet<>();
        Map<String, Object> intrinsic = map(value);
        if (intrinsic != null && intrinsic.get("Ref") instanceof String name) {
            names.add(name);
        } else if (intrinsic != null && intrinsic.get("Fn::Sub") instanceof String text) {
            Matcher placeholder = Pattern.compile("\\$\\{([A-Za-z0-9:]+)}").matcher(text);
            while (placeholder.find()) {
                names.add(placeholder.group(1));
            }
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> ? (Map<String, Object>) value : null;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        return value instanceof List<?> ? (List<Object>) value : List.of(value);
    }

    private static Map<String, Object> merge(Map<String, Object> globals, Map<String, Object> own) {
        Map<String, Object> merged = new LinkedHashMap<>(globals);
        own.forEach((key, value) -> {
            Map<String, Object> global = map(merged.get(key));
            Map<String, Object> local = map(value);
            merged.put(key, global != null && local != null && !isIntrinsic(global) && !isIntrinsic(local)
                    ? merge(global, local)
                    : value);
        });
        return merged;
    }

    private static boolean isIntrinsic(Map<String, Object> value) {
        return value.size() == 1 && value.keySet().stream().allMatch(key -> key.equals("Ref") || key.startsWith("Fn::"));
    }

    /** Turns every CloudFormation short tag into the long form; the node under the tag is read as plain YAML. */
    private static final class CloudFormationConstructor extends SafeConstructor {

        CloudFormationConstructor() {
            super(new LoaderOptions());
            yamlMultiConstructors.put("!", new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    String tag = node.getTag().getValue().substring(1);
                    Object value;
                    if (node instanceof ScalarNode scalar) {
                        value = constructScalar(scalar);
                    } else if (node instanceof SequenceNode sequence) {
                        value = constructSequence(sequence);
                    } else {
                        value = constructMapping((MappingNode) node);
                    }
                    if (tag.equals("Ref")) {
                        return Map.of("Ref", value);
                    }
                    if (tag.equals("GetAtt") && value instanceof String dotted) {
                        int dot = dotted.indexOf('.');
                        return Map.of("Fn::GetAtt", List.of(dotted.substring(0, dot), dotted.substring(dot + 1)));
                    }
                    return Map.of("Fn::" + tag, value);
                }
            });
        }
    }
}
