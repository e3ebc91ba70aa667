package dev.trellis.controlplane.store;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands each committed revision to the watches, never blocking the writer: a live watch queues
 * the batch for its own thread; a watch that is replaying history, or fell too far behind, reads
 * the log itself until it has caught up (etcd's unsynced watchers), then turns live again.
 */
final class WatchHub {
    /** Reads the log for a watch that is catching up. */
    interface History {
        /**
         * Whole revisions under {@code prefix} from {@code fromRevision} on, as far as one page
         * goes, and the revision to read from next.
         *
         * @throws CompactedException when {@code fromRevision} was compacted
         */
        Page read(String prefix, long fromRevision);
    }

    record Page(List<WatchBatch> batches, long next) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Watcher> watchers = new HashSet<>();
    private final History history;
    private final long backlogLimitBytes;
    private long lastPublished;
    private boolean closed;

    /**
     * @param revision the store's revision now: history up to it is in the log
     * @param backlogLimitBytes how many bytes of batches a live watch may have waiting before it
     *     stops queueing and reads on from the log
     */
    WatchHub(History history, long revision, long backlogLimitBytes) {
        this.history = history;
        this.lastPublished = revision;
        this.backlogLimitBytes = backlogLimitBytes;
    }

    Watch watch(String prefix, long fromRevision, WatchListener listener, String store) {
        lock.lock();
        try {
            if (closed) {
                throw new StoreClosedException(store);
            }
            long next = fromRevision == 0 ? lastPublished + 1 : fromRevision;
            Watcher w = new Watcher(this, prefix, listener, next, next > lastPublished, backlogLimitBytes);
            watchers.add(w);
            w.start();
            return w;
        } finally {
            lock.unlock();
        }
    }

    /** Called by the writer, in revision order, after the revision is committed. */
    void publish(WatchBatch batch) {
        lock.lock();
        try {
            lastPublished = batch.revision();
            for (Watcher w : watchers) {
                w.offer(batch);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Turns {@code w} live if it has read the log past every published revision; else it must read
     * more. Revisions committed but not yet published reach it through {@link #publish}, which it
     * skips if it has already read them.
     */
    boolean goLive(Watcher w, long next) {
        lock.lock();
        try {
            if (next <= lastPublished) {
                return false;
            }
            w.goLive();
            return true;
        } finally {
            lock.unlock();
        }
    }

    History history() {
        return history;
    }

    void remove(Watcher w) {
        lock.lock();
        try {
            watchers.remove(w);
        } finally {
            lock.unlock();
        }
    }

    /** Ends every watch with {@code reason}; later watches are refused. */
    void closeAll(StoreException reason) {
        lock.lock();
        try {
            closed = true;
            for (Watcher w : watchers) {
                w.end(reason);
            }
            watchers.clear();
        } finally {
            lock.unlock();
        }
    }
}
