package dev.trellis.controlplane.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoCompactionTest {
    @TempDir
    Path dir;

    @Test
    void keepsOnlyTheLastRevisionsAndEveryKeysLatestValue() {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (Store store = SqliteStore.open(dir);
                AutoCompaction compaction = new AutoCompaction(store, 3, Duration.ofHours(1), scheduler)) {
            for (int i = 1; i <= 10; i++) {
                store.put("/k", ("v" + i).getBytes());
            }
            compaction.run();
            assertThatThrownBy(() -> store.rangeAt("/k", 6)).isInstanceOf(CompactedException.class);
            assertThat(store.rangeAt("/k", 7).first().orElseThrow().valueAsString()).isEqualTo("v7");
            assertThat(store.get("/k").first().orElseThrow().valueAsString()).isEqualTo("v10");

            compaction.run(); // nothing new to compact: no error
            store.put("/k", "v11".getBytes());
            compaction.run();
            assertThatThrownBy(() -> store.rangeAt("/k", 7)).isInstanceOf(CompactedException.class);
        } finally {
            scheduler.shutdownNow();
        }
    }
}
