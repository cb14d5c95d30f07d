package dev.runmeter.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import jakarta.inject.Named;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.BasicValue;
import org.objectweb.asm.tree.analysis.Frame;
import org.objectweb.asm.tree.analysis.SimpleVerifier;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;

import dev.runmeter.http.HttpApiHandler;
import dev.runmeter.http.Route;
import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.arc.profile.UnlessBuildProfile;
import io.smallrye.config.ConfigMapping;

/**
 * What the compiled application (target/classes) really offers, read from its classes rather than from a list a
 * person keeps: the Lambda handlers of the production build, the routes each serves, the settings runmeter reads
 * and the documents it writes as JSON.
 */
final class CompiledCode {

    private static final String PRODUCTION_PROFILE = "prod";
    private static final String OBJECT = "java/lang/Object";
    private static final String OBJECT_MAPPER = "com/fasterxml/jackson/databind/ObjectMapper";

    private CompiledCode() {
    }

    /** Every class compiled from src/main under {@code dev.runmeter}. */
    static List<Class<?>> applicationClasses() {
        return classFiles(applicationRoot()).stream().map(CompiledCode::load).toList();
    }

    /**
     * The handlers a function can name in {@code QUARKUS_LAMBDA_HANDLER}, found the way quarkus-amazon-lambda
     * finds them: concrete classes implementing RequestHandler or RequestStreamHandler, by their {@code @Named}
     * value. Beans that only exist in another build profile (the dev-mode dispatcher) are not deployed.
     */
    static Map<String, Class<?>> deployedHandlers() {
        Map<String, Class<?>> handlers = new TreeMap<>();
        for (Class<?> type : applicationClasses()) {
            boolean handler = RequestHandler.class.isAssignableFrom(type) || RequestStreamHandler.class.isAssignableFrom(type);
            Named named = type.getAnnotation(Named.class);
            if (!handler || named == null || type.isInterface() || Modifier.isAbstract(type.getModifiers())
                    || !inProductionBuild(type)) {
                continue;
            }
            Class<?> earlier = handlers.put(named.value(), type);
            if (earlier != null) {
                throw new AssertionError("two handlers named " + named.value() + ": " + earlier + ", " + type);
            }
        }
        return handlers;
    }

    private static boolean inProductionBuild(Class<?> type) {
        IfBuildProfile only = type.getAnnotation(IfBuildProfile.class);
        if (only != null && !Set.of(only.value()).contains(PRODUCTION_PROFILE)
                && !Set.of(only.anyOf()).contains(PRODUCTION_PROFILE)) {
            return false;
        }
        UnlessBuildProfile unless = type.getAnnotation(UnlessBuildProfile.class);
        return unless == null || !Set.of(unless.value()).contains(PRODUCTION_PROFILE);
    }

    /**
     * The routes ({@code "GET /v1/runs/{runId}"}) an HTTP API handler serves. Its routes only bind its methods, so
     * it is built with no collaborators; a handler whose constructor needs them fails here, loudly.
     */
    static Set<String> routes(Class<?> handler) {
        if (!HttpApiHandler.class.isAssignableFrom(handler)) {
            return Set.of();
        }
        Constructor<?>[] constructors = handler.getConstructors();
        if (constructors.length != 1) {
            throw new AssertionError(handler + " should have one public constructor");
        }
        try {
            HttpApiHandler instance = (HttpApiHandler) constructors[0].newInstance(new Object[constructors[0].getParameterCount()]);
            Set<String> routes = new TreeSet<>();
            for (Route route : instance.routes()) {
                routes.add(route.key());
            }
            return routes;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot build " + handler.getName() + " to read its routes", e);
        }
    }

    /**
     * The environment variables that set each property of a {@code @ConfigMapping} interface, derived the way
     * SmallRye Config names them: {@code prefix.group.kebab-case-method}, upper case with every other character an
     * underscore ({@code runmeter.step-functions.state-machine-arn} -> {@code RUNMETER_STEP_FUNCTIONS_STATE_MACHINE_ARN}).
     */
    static Set<String> environmentVariablesOf(Class<?> mapping) {
        ConfigMapping annotation = mapping.getAnnotation(ConfigMapping.class);
        if (annotation == null) {
            throw new AssertionError(mapping + " is not a @ConfigMapping");
        }
        Set<String> properties = new TreeSet<>();
        collectProperties(mapping, annotation.prefix(), properties);
        Set<String> variables = new TreeSet<>();
        properties.forEach(property -> variables.add(environmentVariable(property)));
        return variables;
    }

    static String environmentVariable(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private static void collectProperties(Class<?> group, String prefix, Set<String> properties) {
        for (Method method : group.getMethods()) {
            if (method.getParameterCount() != 0 || method.isDefault() || Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            String name = prefix + "." + kebab(method.getName());
            Class<?> type = method.getReturnType();
            if (type.isInterface() && type.getName().startsWith(group.getPackageName())) {
                collectProperties(type, name, properties);
            } else {
                properties.add(name);
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /**
     * The records of {@code dev.runmeter} that are written as JSON, and the records they hold. A document is whatever
     * reaches a JSON sink with its static type: the value given to an ObjectMapper write method, or to any
     * parameter of runmeter's own declared as {@code Object} (the response and problem documents pass through
     * those), as the bytecode verifier types it.
     */
    static Set<Class<?>> serializedRecords(List<Class<?>> classes) {
        Set<Class<?>> roots = new java.util.LinkedHashSet<>();
        for (Class<?> type : classes) {
            roots.addAll(documentsWrittenBy(type));
        }
        Set<Class<?>> records = new java.util.LinkedHashSet<>();
        Deque<Type> pending = new ArrayDeque<>(roots);
        while (!pending.isEmpty()) {
            Type next = pending.pop();
            if (next instanceof ParameterizedType parameterized) {
                pending.addAll(Arrays.asList(parameterized.getActualTypeArguments()));
            } else if (next instanceof Class<?> type && type.isRecord() && type.getName().startsWith("dev.runmeter.")
                    && records.add(type)) {
                for (RecordComponent component : type.getRecordComponents()) {
                    pending.add(component.getGenericType());
                }
            }
        }
        return records;
    }

    private static Set<Class<?>> documentsWrittenBy(Class<?> type) {
        ClassNode node = new ClassNode();
        try (InputStream bytes = type.getResourceAsStream("/" + type.getName().replace('.', '/') + ".class")) {
            new ClassReader(bytes).accept(node, ClassReader.SKIP_DEBUG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<Class<?>> documents = new java.util.LinkedHashSet<>();
        for (MethodNode method : node.methods) {
            if (method.instructions.size() == 0) {
                continue;
            }
            SimpleVerifier verifier = new SimpleVerifier(org.objectweb.asm.Type.getObjectType(node.name),
                    node.superName == null ? null : org.objectweb.asm.Type.getObjectType(node.superName),
                    node.interfaces.stream().map(org.objectweb.asm.Type::getObjectType).toList(),
                    (node.access & org.objectweb.asm.Opcodes.ACC_INTERFACE) != 0);
            verifier.setClassLoader(type.getClassLoader());
            Frame<BasicValue>[] frames;
            try {
                frames = new Analyzer<>(verifier).analyze(node.name, method);
            } catch (AnalyzerException e) {
                throw new AssertionError("cannot type " + type.getName() + "." + method.name, e);
            }
            for (int i = 0; i < method.instructions.size(); i++) {
                AbstractInsnNode instruction = method.instructions.get(i);
                if (instruction instanceof MethodInsnNode call && frames[i] != null && isJsonSink(call)) {
                    org.objectweb.asm.Type[] parameters = org.objectweb.asm.Type.getArgumentTypes(call.desc);
                    Frame<BasicValue> frame = frames[i];
                    int top = frame.getStackSize() - 1;
                    for (int p = parameters.length - 1; p >= 0; p--, top--) {
                        if (parameters[p].getInternalName().equals(OBJECT) && parameters[p].getSort() == org.objectweb.asm.Type.OBJECT) {
                            org.objectweb.asm.Type written = frame.getStack(top).getType();
                            if (written != null && written.getSort() == org.objectweb.asm.Type.OBJECT
                                    && written.getInternalName().startsWith("dev/runmeter/")) {
                                documents.add(load(written.getClassName(), type.getClassLoader()));
                            }
                        }
                    }
                }
            }
        }
        return documents;
    }

    private static boolean isJsonSink(MethodInsnNode call) {
        if (call.owner.equals(OBJECT_MAPPER)) {
            return call.name.startsWith("write") || call.name.equals("valueToTree") || call.name.equals("convertValue");
        }
        return call.owner.startsWith("dev/runmeter/");
    }

    private static Path applicationRoot() {
        try {
            return Path.of(HttpApiHandler.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> classFiles(Path root) {
        try (Stream<Path> files = Files.walk(root.resolve("dev/runmeter"))) {
            return files.filter(file -> file.toString().endsWith(".class"))
                    .map(file -> root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Class<?> load(String name) {
        return load(name, CompiledCode.class.getClassLoader());
    }

    private static Class<?> load(String name, ClassLoader loader) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
