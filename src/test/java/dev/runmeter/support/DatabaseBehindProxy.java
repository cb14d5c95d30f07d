package dev.runmeter.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A PostgreSQL of the test class's own, which the application reaches only through a {@link CuttableProxy}. The
 * proxy starts cut, so the application boots while its database is unreachable, as a Lambda function can. The
 * schema is applied here, directly, the way production migrates once per deploy rather than at start.
 */
public class DatabaseBehindProxy implements QuarkusTestResourceLifecycleManager {

    /** A password that exists nowhere else, so a test can look for it in logs and documents. */
    public static final String PASSWORD = "pw-" + UUID.randomUUID();

    /** Marks the test's fields that receive the proxy, and a DataSource that bypasses it. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Inject {
    }

    private EmbeddedPostgres database;
    private CuttableProxy proxy;

    @Override
    public Map<String, String> start() {
        try {
            database = EmbeddedPostgres.start();
            Flyway.configure().dataSource(database.getPostgresDatabase()).locations("classpath:db/migration")
                    .load().migrate();
            proxy = new CuttableProxy(database.getPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        proxy.cut();
        return Map.of(
                // prepareThreshold=0: every statement travels with its text, which the proxy's trip wire looks for
                "quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1:" + proxy.port()
                        + "/postgres?prepareThreshold=0",
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", PASSWORD,
                "quarkus.flyway.migrate-at-start", "false",
                "quarkus.datasource.jdbc.acquisition-timeout", "2S");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(proxy, new TestInjector.AnnotatedAndMatchesType(Inject.class, CuttableProxy.class));
        injector.injectIntoFields(database.getPostgresDatabase(),
                new TestInjector.AnnotatedAndMatchesType(Inject.class, DataSource.class));
    }

    @Override
    public void stop() {
        try {
            if (proxy != null) {
                proxy.close();
            }
            if (database != null) {
                database.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
