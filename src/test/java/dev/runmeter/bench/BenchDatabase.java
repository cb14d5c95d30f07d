package dev.runmeter.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The benchmarks' PostgreSQL: the same embedded server the tests use (so a JDK is all a benchmark run needs), but
 * with production durability. The tests' server runs with fsync and synchronous_commit off, which would make every
 * commit look free; here each commit waits for its WAL flush, as on a managed database.
 */
public class BenchDatabase implements QuarkusTestResourceLifecycleManager {

    private EmbeddedPostgres server;

    static EmbeddedPostgres startServer() throws IOException {
        return EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("shared_buffers", "512MB")
                .start();
    }

    @Override
    public Map<String, String> start() {
        try {
            server = startServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(
                "quarkus.datasource.jdbc.url", server.getJdbcUrl("postgres", "postgres"),
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", "postgres");
    }

    @Override
    public void stop() {
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
