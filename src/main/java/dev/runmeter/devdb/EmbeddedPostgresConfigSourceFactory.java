package dev.runmeter.devdb;

import java.lang.reflect.Method;
import java.util.Collections;
import java.util.Map;
import java.util.OptionalInt;

import io.quarkus.runtime.LaunchMode;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.common.MapBackedConfigSource;

import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Supplies a real, embedded PostgreSQL to {@code quarkus:dev} and the tests when no datasource URL is configured,
 * so that a machine with only a JDK can run runmeter. It never acts in production: the embedded server is an
 * optional dependency that the Lambda package and the native image do not contain, which is also why it is
 * loaded by reflection.
 */
public class EmbeddedPostgresConfigSourceFactory implements ConfigSourceFactory {

    static final String URL_PROPERTY = "quarkus.datasource.jdbc.url";
    // Survives dev-mode hot reloads (each gets a new class loader) so only one server is ever started per JVM.
    private static final String STARTED_URL = "embedded-postgres.jdbc-url";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        LaunchMode mode = LaunchMode.current();
        if (mode != LaunchMode.DEVELOPMENT && mode != LaunchMode.TEST) {
            return Collections.emptyList();
        }
        ConfigValue configured = context.getValue(URL_PROPERTY);
        if (configured != null && configured.getValue() != null && !configured.getValue().isBlank()) {
            return Collections.emptyList();
        }
        String url = startedOrStart();
        return Collections.singletonList(new MapBackedConfigSource("runmeter-embedded-postgres", Map.of(
                URL_PROPERTY, url,
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", "postgres"), 50) {
        });
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(50);
    }

    private static synchronized String startedOrStart() {
        String url = System.getProperty(STARTED_URL);
        if (url != null) {
            return url;
        }
        try {
            Class<?> embedded = Class.forName("io.zonky.test.db.postgres.embedded.EmbeddedPostgres",
                    true, Thread.currentThread().getContextClassLoader());
            Object server = embedded.getMethod("start").invoke(null);
            Method getJdbcUrl = embedded.getMethod("getJdbcUrl", String.class, String.class);
            url = (String) getJdbcUrl.invoke(server, "postgres", "postgres");
            Method close = embedded.getMethod("close");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    close.invoke(server);
                } catch (ReflectiveOperationException ignored) {
                    // the JVM is going away; the server's own cleanup hook still runs
                }
            }, "embedded-postgres-stop"));
            System.setProperty(STARTED_URL, url);
            return url;
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("No datasource configured and no embedded PostgreSQL on the class path: "
                    + "set QUARKUS_DATASOURCE_JDBC_URL", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Could not start the embedded PostgreSQL", e);
        }
    }
}
