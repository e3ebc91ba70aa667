package dev.trellis.controlplane.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.trellis.controlplane.store.KeyValue;
import dev.trellis.controlplane.store.Lease;
import dev.trellis.controlplane.store.LeaseNotFoundException;
import dev.trellis.controlplane.store.RangeResult;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import dev.trellis.controlplane.store.Watch;
import dev.trellis.controlplane.store.WatchBatch;
import dev.trellis.controlplane.store.WatchListener;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service registry: each registration is a key held by a lease, so it lasts while its proxy
 * keeps the lease alive and a grace period after (Istio's auto-registration cleanup delay). A
 * proxy that reconnects within the grace period, to this control plane or to one that restarted
 * (the store gives surviving leases their full time again), keeps its endpoint in place.
 */
public final class Registry {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);
    static final String PREFIX = "/trellis/registry/";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    private final Store store;
    private final Duration grace;
    private final ScheduledExecutorService scheduler;

    /**
     * @param grace how long a registration outlives its proxy's stream
     * @param scheduler runs the keep-alives
     */
    public Registry(Store store, Duration grace, ScheduledExecutorService scheduler) {
        this.store = store;
        this.grace = grace;
        this.scheduler = scheduler;
    }

    /** One registration kept alive until it is released. */
    public final class Handle {
        private final Registration registration;
        private final String key;
        private long lease;
        private ScheduledFuture<?> keepAlive;

        private Handle(Registration registration) {
            this.registration = registration;
            this.key = PREFIX + registration.namespace() + "/" + registration.service() + "/" + registration.nodeId();
        }

        private synchronized void start() {
            Lease granted = store.grant(grace);
            lease = granted.id();
            store.put(key, encode(registration), lease);
            long every = Math.max(200, granted.ttl().toMillis() / 3);
            keepAlive = scheduler.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        }

        private synchronized void renew() {
            // Whatever fails here must not escape: a scheduled task that throws is never run again.
            try {
                store.keepAlive(lease);
            } catch (LeaseNotFoundException e) {
                // The lease ran out (the control plane stalled longer than the grace period): register anew.
                log.warn("registration of {} lapsed; registering it again", registration.nodeId());
                try {
                    Lease granted = store.grant(grace);
                    lease = granted.id();
                    store.put(key, encode(registration), lease);
                } catch (RuntimeException again) {
                    log.warn("cannot register {} again: {}; trying at the next keep-alive", registration.nodeId(), again.getMessage());
                }
            } catch (RuntimeException e) {
                log.warn("cannot keep the registration of {} alive: {}", registration.nodeId(), e.getMessage());
            }
        }

        /** The proxy is gone: the registration lasts one grace period from now, then goes. */
        public synchronized void release() {
            keepAlive.cancel(false);
            try {
                store.keepAlive(lease);
            } catch (LeaseNotFoundException e) {
                // already gone
            } catch (StoreException e) {
                log.warn("cannot release the registration of {}: {}", registration.nodeId(), e.getMessage());
            }
        }

        public Registration registration() {
            return registration;
        }
    }

    /** Registers a workload and keeps it registered until {@link Handle#release()}. */
    public Handle register(Registration registration) {
        Handle handle = new Handle(registration);
        handle.start();
        return handle;
    }

    /** Every registration, by namespace, service and node. */
    public List<Registration> list() {
        return decode(store.range(PREFIX));
    }

    /**
     * Calls {@code onChange} with every registration now, and again after each change. A watch that
     * ends (the history it needed was compacted) starts again from a fresh list.
     */
    public Watch watch(Consumer<List<Registration>> onChange) {
        return new Watching(onChange).start();
    }

    private final class Watching implements Watch, WatchListener {
        private final Consumer<List<Registration>> onChange;
        private volatile Watch current;
        private volatile boolean closed;

        Watching(Consumer<List<Registration>> onChange) {
            this.onChange = onChange;
        }

        Watching start() {
            RangeResult now = store.range(PREFIX);
            onChange.accept(decode(now));
            current = store.watch(PREFIX, now.revision() + 1, this);
            return this;
        }

        @Override
        public void onBatch(WatchBatch batch) {
            onChange.accept(list());
        }

        @Override
        public void onError(StoreException error) {
            if (!closed) {
                log.warn("registry watch ended ({}); listing again", error.getMessage());
                start();
            }
        }

        @Override
        public void close() {
            closed = true;
            current.close();
        }
    }

    private static byte[] encode(Registration registration) {
        try {
            return JSON.writeValueAsBytes(registration);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + registration, e);
        }
    }

    private static List<Registration> decode(RangeResult range) {
        List<Registration> registrations = new ArrayList<>();
        for (KeyValue kv : range.kvs()) {
            try {
                registrations.add(JSON.readValue(kv.value(), Registration.class));
            } catch (IOException e) {
                log.error("registry entry {} cannot be read, skipped: {}", kv.key(), e.getMessage());
            }
        }
        return registrations;
    }
}
