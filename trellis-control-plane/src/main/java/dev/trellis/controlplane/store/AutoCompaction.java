package dev.trellis.controlplane.store;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a store's history bounded, as etcd's revision-based auto-compaction does: every
 * {@code interval} it compacts away all but the last {@code retained} revisions. Without it, a log
 * of revisions grows with every write forever. A watcher that falls further behind than that is
 * told so ({@link CompactedException}) and lists again.
 */
public final class AutoCompaction implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AutoCompaction.class);

    private final Store store;
    private final long retained;
    private final ScheduledFuture<?> task;
    private long compacted;

    public AutoCompaction(Store store, long retained, Duration interval, ScheduledExecutorService scheduler) {
        if (retained < 1) {
            throw new IllegalArgumentException("retained: " + retained + " (expected: 1 or more revisions)");
        }
        this.store = store;
        this.retained = retained;
        this.task = scheduler.scheduleWithFixedDelay(this::run, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Compacts now if the history holds more than {@code retained} revisions past the last compaction. */
    synchronized void run() {
        long target = store.revision() - retained;
        if (target <= compacted) {
            return;
        }
        try {
            store.compact(target);
            compacted = target;
            log.debug("store compacted to revision {}", target);
        } catch (CompactedException e) {
            compacted = e.compactRevision(); // compacted already, by another replica or an earlier run
        } catch (RuntimeException e) {
            log.warn("store compaction to revision {} failed: {}", target, e.getMessage());
        }
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
