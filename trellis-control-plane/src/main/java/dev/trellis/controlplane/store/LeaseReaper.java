package dev.trellis.controlplane.store;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires leases: every {@link #INTERVAL} it hands each lease past its deadline to {@code expire},
 * which deletes the lease's keys in one revision. A failed expiry is retried on the next round.
 */
final class LeaseReaper implements AutoCloseable {
    /** How often deadlines are checked: a lease outlives its ttl by at most about this much. */
    static final Duration INTERVAL = Duration.ofMillis(100);

    private static final Logger log = LoggerFactory.getLogger(LeaseReaper.class);

    private final LeaseTable leases;
    private final LongConsumer expire;
    private final ScheduledExecutorService executor;

    LeaseReaper(LeaseTable leases, LongConsumer expire) {
        this.leases = leases;
        this.expire = expire;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trellis-store-lease-reaper");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        executor.scheduleWithFixedDelay(this::reap, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void reap() {
        for (long id : leases.expired()) {
            try {
                expire.accept(id);
            } catch (StoreClosedException closing) {
                return;
            } catch (RuntimeException e) {
                log.warn("lease {}: expiry failed, retrying in {} ms", id, INTERVAL.toMillis(), e);
            }
        }
    }

    /** Stops the reaper, waiting for a round in progress to finish. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("lease reaper still running 30 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
