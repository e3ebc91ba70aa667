package dev.trellis.controlplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.trellis.config.ConfigLoader;
import dev.trellis.config.Document;
import dev.trellis.controlplane.config.ConfigStore.Change.Action;
import dev.trellis.controlplane.store.SqliteStore;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.Watch;
import dev.trellis.model.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigStoreTest {
    @TempDir
    Path dir;
    Store store;
    ConfigStore configs;

    @BeforeEach
    void open() {
        store = SqliteStore.open(dir);
        configs = new ConfigStore(store);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static String entry(String name, String host, String address) {
        return """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: %s}
                spec:
                  hosts: [%s]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: %s}]
                """.formatted(name, host, address);
    }

    static List<Document> documents(String file, String yaml) throws ConfigException {
        return ConfigLoader.documents(file, yaml);
    }

    static List<Action> actions(ConfigStore.Outcome outcome) {
        return outcome.changes().stream().map(ConfigStore.Change::action).toList();
    }

    @Test
    void appliedDocumentsAreCreatedThenConfiguredOrUnchanged() throws Exception {
        assertThat(actions(configs.apply(documents("a.yaml", entry("a", "a", "10.0.0.1") + "---\n" + entry("b", "b", "10.0.0.2")), false)))
                .containsExactly(Action.CREATED, Action.CREATED);
        ConfigStore.Outcome second = configs.apply(documents("b.yaml", entry("a", "a", "10.0.0.9") + "---\n" + entry("b", "b", "10.0.0.2")), false);
        assertThat(actions(second)).containsExactly(Action.CONFIGURED, Action.UNCHANGED);
        ConfigStore.Snapshot now = configs.load();
        assertThat(now.documents()).hasSize(2);
        assertThat(now.revision()).isEqualTo(second.result().revision());
        assertThat(now.mesh().service("a.default.svc.cluster.local").orElseThrow().endpoints().get(0).address()).isEqualTo("10.0.0.9");
        assertThat(now.find("ServiceEntry", "default", "b").orElseThrow().meta().origin().file())
                .as("an unchanged document keeps where it came from").isEqualTo("a.yaml");
    }

    @Test
    void aConflictWithAStoredDocumentChangesNothingAndNamesBoth() throws Exception {
        configs.apply(documents("a.yaml", entry("a", "shared", "10.0.0.1")), false);
        long revision = store.revision();
        assertThatThrownBy(() -> configs.apply(documents("b.yaml", entry("b", "shared", "10.0.0.2") + "---\n" + entry("c", "c", "10.0.0.3")), false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("b.yaml (document 1) ServiceEntry default/b: spec.hosts[0]: \"shared.default.svc.cluster.local\""
                        + " is already declared by ServiceEntry default/a in a.yaml (document 1)");
        assertThat(store.revision()).isEqualTo(revision);
        assertThat(configs.load().documents()).extracting(d -> d.meta().name()).containsExactly("a");
    }

    @Test
    void twoDocumentsOfOneNameInOneApplyAreRefused() throws Exception {
        assertThatThrownBy(() -> configs.apply(documents("a.yaml", entry("a", "x", "10.0.0.1") + "---\n" + entry("a", "y", "10.0.0.2")), false))
                .hasMessageContaining("metadata.name: \"a\" is already used by ServiceEntry default/a");
        assertThat(configs.load().documents()).isEmpty();
    }

    @Test
    void aDryRunReportsAndChangesNothing() throws Exception {
        ConfigStore.Outcome outcome = configs.apply(documents("a.yaml", entry("a", "a", "10.0.0.1")), true);
        assertThat(outcome.dryRun()).isTrue();
        assertThat(actions(outcome)).containsExactly(Action.CREATED);
        assertThat(store.revision()).isZero();
        assertThat(configs.load().documents()).isEmpty();
    }

    @Test
    void deleteRemovesOneDocument() throws Exception {
        configs.apply(documents("a.yaml", entry("a", "a", "10.0.0.1") + "---\n" + entry("b", "b", "10.0.0.2")), false);
        assertThat(configs.delete("ServiceEntry", "default", "a", false)).hasValueSatisfying(o ->
                assertThat(actions(o)).containsExactly(Action.DELETED));
        assertThat(configs.delete("ServiceEntry", "default", "a", false)).isEmpty();
        assertThat(configs.load().documents()).extracting(d -> d.meta().name()).containsExactly("b");
    }

    @Test
    void aLargeApplyIsStoredInChunksWithinEtcdsLimitsAndReadsBackWhole() throws Exception {
        StringBuilder yaml = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            String name = "svc-" + i;
            names.add(name);
            // Labels make each document about 3 KB, the whole apply about 1.8 MiB.
            yaml.append("---\n").append(entry(name, name, "10.0." + (i / 250) + "." + (i % 250 + 1))
                    .replace("endpoints: [{address: ", "endpoints: [{labels: {note: " + "x".repeat(3000) + "}, address: "));
        }
        configs.apply(documents("big.yaml", yaml.toString()), false);
        assertThat(store.range(ConfigStore.GENERATIONS).kvs()).as("more than one chunk").hasSizeGreaterThan(1)
                .allSatisfy(kv -> assertThat(kv.value().length).isLessThanOrEqualTo(ConfigStore.CHUNK_BYTES));
        store.close();
        store = SqliteStore.open(dir);
        configs = new ConfigStore(store);
        assertThat(configs.load().documents()).extracting(d -> d.meta().name()).containsExactlyElementsOf(names);
    }

    @Test
    void onlyTheCurrentGenerationIsKept() throws Exception {
        configs.apply(documents("a.yaml", entry("a", "a", "10.0.0.1")), false);
        configs.apply(documents("a.yaml", entry("a", "a", "10.0.0.2")), false);
        assertThat(store.range(ConfigStore.GENERATIONS).kvs()).hasSize(1);
        store.put(ConfigStore.GENERATIONS + "deadbeef/00000", "left by a writer that crashed".getBytes());
        configs.apply(documents("a.yaml", entry("a", "a", "10.0.0.3")), false);
        configs.clearUnreferenced();
        assertThat(store.range(ConfigStore.GENERATIONS).kvs()).hasSize(1);
        assertThat(configs.load().mesh().services().get(0).endpoints().get(0).address()).isEqualTo("10.0.0.3");
    }

    @Test
    void aWatchSeesEveryNewConfiguration() throws Exception {
        List<ConfigStore.Snapshot> seen = new CopyOnWriteArrayList<>();
        try (Watch watch = configs.watch(configs.load().revision(), seen::add)) {
            long applied = configs.apply(documents("a.yaml", entry("a", "a", "10.0.0.1")), false).result().revision();
            await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty() && seen.getLast().revision() == applied);
            assertThat(seen.getLast().documents()).hasSize(1);
            long deleted = configs.delete("ServiceEntry", "default", "a", false).orElseThrow().result().revision();
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.getLast().revision() == deleted);
        }
        assertThat(seen.getLast().documents()).isEmpty();
    }

    @Test
    void aWatchDeliversEachConfigurationOnceInRevisionOrder() throws Exception {
        List<ConfigStore.Snapshot> seen = new CopyOnWriteArrayList<>();
        try (Watch watch = configs.watch(configs.load().revision(), seen::add)) {
            for (int i = 0; i < 20; i++) {
                configs.apply(documents("a.yaml", entry("a", "a", "10.0.0." + (i + 1))), false);
            }
            long last = configs.delete("ServiceEntry", "default", "a", false).orElseThrow().result().revision();
            await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty() && seen.getLast().revision() == last);
        }
        // Quick changes may be seen as one, the newest; never one twice, never out of order.
        assertThat(seen).extracting(ConfigStore.Snapshot::revision).isSorted().doesNotHaveDuplicates();
        assertThat(seen.getLast().documents()).isEmpty();
    }
}
