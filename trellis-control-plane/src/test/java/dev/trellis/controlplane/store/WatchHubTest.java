package dev.trellis.controlplane.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The hand-over from replaying the log to live delivery, on a scripted log: the window where a
 * revision is committed (so a replay reads it) but not yet published is too narrow to hit from
 * outside.
 */
class WatchHubTest {
    /** The log: revisions 1..n, one put each. */
    private final List<WatchBatch> committed = new CopyOnWriteArrayList<>();

    private WatchBatch commit(long revision) {
        KeyValue kv = new KeyValue("/k", ("v" + revision).getBytes(UTF_8), 1, revision, revision, 0);
        WatchBatch batch = new WatchBatch(revision, List.of(new WatchEvent(WatchEvent.Type.PUT, kv, Optional.empty())));
        committed.add(batch);
        return batch;
    }

    private WatchHub.Page read(String prefix, long from) {
        List<WatchBatch> batches = committed.stream().filter(b -> b.revision() >= from).toList();
        return new WatchHub.Page(batches, committed.size() + 1);
    }

    @Test
    void aRevisionReplayedFromTheLogIsNotDeliveredAgainWhenPublished() {
        for (long r = 1; r <= 4; r++) {
            commit(r);
        }
        WatchHub hub = new WatchHub(this::read, 4, 1 << 20);
        WatchBatch fifth = commit(5); // committed, its publication still to come

        RecordingListener listener = new RecordingListener();
        Watcher watch = (Watcher) hub.watch("/", 1, listener, "test store");
        await().atMost(Duration.ofSeconds(30)).until(() -> listener.revisions().size() == 5 && watch.isLive());

        hub.publish(fifth);
        hub.publish(commit(6));

        await().atMost(Duration.ofSeconds(30)).until(() -> listener.revisions().contains(6L));
        assertThat(listener.revisions()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        watch.close();
    }
}
