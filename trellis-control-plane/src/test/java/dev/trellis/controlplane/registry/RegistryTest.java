package dev.trellis.controlplane.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.trellis.controlplane.store.SqliteStore;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.Watch;
import dev.trellis.model.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTest {
    static final Duration GRACE = Duration.ofSeconds(2);

    @TempDir
    Path dir;
    Store store;
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    Registry registry;

    @BeforeEach
    void open() {
        store = SqliteStore.open(dir);
        registry = new Registry(store, GRACE, scheduler);
    }

    @AfterEach
    void close() {
        scheduler.shutdownNow();
        store.close();
    }

    static Registration catalog(String node, int port) {
        return new Registration(node, "catalog-" + node, "default", "catalog.default.svc.cluster.local", "127.0.0.1", port,
                Protocol.HTTP, Map.of("app", "catalog"), "catalog", "us-west/zone1", Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    void aRegistrationKeepsItsLocalityAndOneStoredBeforeLocalitiesHasNone() {
        registry.register(catalog("a", 8081));
        assertThat(registry.list()).singleElement().satisfies(r -> assertThat(r.locality()).isEqualTo("us-west/zone1"));
        store.put(Registry.PREFIX + "default/catalog.default.svc.cluster.local/old", """
                {"nodeId": "old", "proxy": "catalog-old", "namespace": "default", "service": "catalog.default.svc.cluster.local",
                 "address": "127.0.0.1", "port": 8082, "protocol": "HTTP", "labels": {}, "serviceAccount": "catalog",
                 "registeredAt": "2025-01-01T00:00:00Z"}
                """.getBytes(StandardCharsets.UTF_8));
        assertThat(registry.list()).extracting(Registration::nodeId, Registration::locality)
                .containsExactlyInAnyOrder(tuple("a", "us-west/zone1"), tuple("old", ""));
    }

    @Test
    void aRegistrationLastsWhileKeptAliveAndAGracePeriodAfter() throws Exception {
        Registry.Handle handle = registry.register(catalog("a", 8081));
        assertThat(registry.list()).containsExactly(catalog("a", 8081));
        Thread.sleep(GRACE.toMillis() * 2); // kept alive well past one lease
        assertThat(registry.list()).hasSize(1);
        handle.release();
        long released = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.list().isEmpty());
        assertThat(Duration.ofNanos(System.nanoTime() - released)).isGreaterThanOrEqualTo(GRACE.minusMillis(300));
    }

    @Test
    void aWatchSeesRegistrationsComeAndGo() {
        List<List<Registration>> seen = new CopyOnWriteArrayList<>();
        try (Watch watch = registry.watch(seen::add)) {
            Registry.Handle a = registry.register(catalog("a", 8081));
            registry.register(catalog("b", 8082));
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).size() == 2);
            a.release();
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).equals(List.of(catalog("b", 8082))));
        }
        assertThat(seen.get(0)).as("the registrations at the start").isEmpty();
    }

    @Test
    void registrationsSurviveARestartForAGracePeriodAndCanBeRenewed() throws Exception {
        registry.register(catalog("a", 8081));
        registry.register(catalog("b", 8082));
        scheduler.shutdownNow(); // the control plane stops without revoking anything
        store.close();
        store = SqliteStore.open(dir);
        scheduler = Executors.newSingleThreadScheduledExecutor();
        registry = new Registry(store, GRACE, scheduler);
        assertThat(registry.list()).hasSize(2);
        registry.register(catalog("a", 8081)); // a's proxy reconnected; b's did not
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.list().size() == 1);
        Thread.sleep(GRACE.toMillis() * 2);
        assertThat(registry.list()).containsExactly(catalog("a", 8081));
    }
}
