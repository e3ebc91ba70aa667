package dev.trellis.controlplane.store;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch and its own (virtual) thread, which calls the listener. Live, it delivers the
 * batches the writer queued; replaying, or after falling more than the backlog limit behind, it
 * drops its queue and reads the log from the first revision it has not delivered, so a slow
 * listener costs at most its backlog limit of memory and never slows the writer.
 */
final class Watcher implements Watch {
    /** Counted per event on top of its keys and values, so a flood of tiny events is bounded too. */
    private static final int EVENT_OVERHEAD_BYTES = 128;

    private static final Logger log = LoggerFactory.getLogger(Watcher.class);

    private final WatchHub hub;
    private final String prefix;
    private final WatchListener listener;
    private final long backlogLimitBytes;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Queued> backlog = new ArrayDeque<>();
    private long backlogBytes;
    private boolean live;
    private boolean closed;
    private StoreException failure;

    /** The first revision not yet delivered; touched only by the watch's thread. */
    private long next;

    private record Queued(WatchBatch batch, long bytes) {}

    Watcher(WatchHub hub, String prefix, WatchListener listener, long next, boolean live, long backlogLimitBytes) {
        this.hub = hub;
        this.prefix = prefix;
        this.listener = listener;
        this.next = next;
        this.live = live;
        this.backlogLimitBytes = backlogLimitBytes;
    }

    void start() {
        Thread.ofVirtual().name("trellis-store-watch " + prefix).start(this::run);
    }

    /** Queues the part of {@code batch} under this watch's prefix; called by the writer, under the hub's lock. */
    void offer(WatchBatch batch) {
        List<WatchEvent> mine = batch.events().stream().filter(e -> e.key().startsWith(prefix)).toList();
        if (mine.isEmpty()) {
            return;
        }
        long bytes = mine.stream().mapToLong(Watcher::bytes).sum();
        lock.lock();
        try {
            if (closed || !live) {
                return;
            }
            if (backlogBytes + bytes > backlogLimitBytes) {
                log.info("watch {}: {} bytes waiting for a slow listener, over the limit of {}; reading on from the log instead",
                        prefix, backlogBytes + bytes, backlogLimitBytes);
                backlog.clear();
                backlogBytes = 0;
                live = false;
            } else {
                backlog.add(new Queued(mine.size() == batch.events().size() ? batch : new WatchBatch(batch.revision(), mine), bytes));
                backlogBytes += bytes;
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Called under the hub's lock once the log has been read past every published revision. */
    void goLive() {
        lock.lock();
        try {
            live = true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether batches reach this watch through {@link #offer} rather than from the log. */
    boolean isLive() {
        lock.lock();
        try {
            return live;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the watch from the store's side; the listener hears {@code reason}. */
    void end(StoreException reason) {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                failure = reason;
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            failure = null;
            changed.signal();
        } finally {
            lock.unlock();
        }
        hub.remove(this);
    }

    private void run() {
        try {
            while (true) {
                Queued queued;
                lock.lock();
                try {
                    while (!closed && live && backlog.isEmpty()) {
                        changed.awaitUninterruptibly();
                    }
                    if (closed) {
                        break;
                    }
                    queued = live ? backlog.poll() : null;
                    if (queued != null) {
                        backlogBytes -= queued.bytes();
                    }
                } finally {
                    lock.unlock();
                }
                if (queued == null) {
                    catchUp();
                } else if (queued.batch().revision() >= next) {
                    deliver(queued.batch());
                }
            }
        } catch (StoreException e) {
            end(e);
        } catch (RuntimeException | Error e) {
            end(new StoreException("watch " + prefix + ": failed", e));
        }
        finish();
    }

    /** Reads the log from {@link #next} until it has read every published revision. */
    private void catchUp() {
        while (!isClosed()) {
            WatchHub.Page page = hub.history().read(prefix, next);
            for (WatchBatch batch : page.batches()) {
                deliver(batch);
            }
            next = Math.max(next, page.next());
            if (hub.goLive(this, next)) {
                return;
            }
        }
    }

    private void deliver(WatchBatch batch) {
        if (isClosed()) {
            return;
        }
        try {
            listener.onBatch(batch);
        } catch (RuntimeException e) {
            throw new StoreException("watch " + prefix + ": listener failed on the batch of revision " + batch.revision()
                    + "; the watch has ended", e);
        }
        next = batch.revision() + 1;
    }

    private void finish() {
        hub.remove(this);
        StoreException reason;
        lock.lock();
        try {
            reason = failure;
        } finally {
            lock.unlock();
        }
        if (reason != null) {
            try {
                listener.onError(reason);
            } catch (RuntimeException e) {
                log.warn("watch {}: listener failed in onError", prefix, e);
            }
        }
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    private static long bytes(WatchEvent e) {
        return EVENT_OVERHEAD_BYTES + e.key().length() + e.kv().valueLength() + e.prevKv().map(KeyValue::valueLength).orElse(0);
    }
}
