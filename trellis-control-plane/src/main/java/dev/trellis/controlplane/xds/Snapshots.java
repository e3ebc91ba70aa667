package dev.trellis.controlplane.xds;

import dev.trellis.model.Locality;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.xds.Consistency;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import dev.trellis.xds.snapshot.ProxySnapshotBuilder;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each connected node's snapshot in step with the mesh. A Trellis proxy gets its own,
 * built from its Proxy bootstrap; every other client shares one snapshot of the whole mesh with the
 * clients of its locality, whose endpoints are ranked from there. All
 * building runs on one thread, in the order changes came, so a snapshot never goes back in time.
 * Mesh changes that come faster than snapshots are built are coalesced: the next build takes the
 * latest mesh. A snapshot is checked for consistency before it is set, and set only when it differs.
 */
final class Snapshots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

    /** The cache group of every client that is not a Trellis proxy and states no locality. */
    static final String PROXYLESS = "proxyless";
    /** How many times, a second apart, a gone node's snapshot is cleared before giving up. */
    static final int CLEAR_ATTEMPTS = 60;

    private final NackHoldingCache cache;
    private final BiFunction<MeshConfig, ProxyBootstrap, ProxySnapshotBuilder.Result> forProxy;
    private final BiFunction<MeshConfig, Locality, ProxySnapshotBuilder.Result> forProxyless;
    private final ScheduledExecutorService builder = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trellis-snapshots");
        t.setDaemon(true);
        return t;
    });
    /** The latest mesh not built yet; null when every snapshot is built from the latest. */
    private final AtomicReference<MeshConfig> pending = new AtomicReference<>();
    // Touched only on the builder thread.
    private MeshConfig mesh;
    private final Map<String, ProxyBootstrap> proxies = new HashMap<>();
    /** The proxyless clients connected, by group, and each group's locality. */
    private final Map<String, Integer> proxylessClients = new HashMap<>();
    private final Map<String, Locality> proxylessLocalities = new HashMap<>();
    private final Map<String, XdsResources> built = new HashMap<>();
    // Read by the API.
    private final Map<String, List<String>> problems = new ConcurrentHashMap<>();

    Snapshots(NackHoldingCache cache, MeshConfig mesh,
            BiFunction<MeshConfig, ProxyBootstrap, ProxySnapshotBuilder.Result> forProxy,
            BiFunction<MeshConfig, Locality, ProxySnapshotBuilder.Result> forProxyless) {
        this.cache = cache;
        this.mesh = mesh;
        this.forProxy = forProxy;
        this.forProxyless = forProxyless;
    }

    /** The mesh changed: every node's snapshot is built again, from the latest mesh by then. */
    void meshChanged(MeshConfig next) {
        if (pending.getAndSet(next) == null) {
            builder.execute(() -> {
                mesh = pending.getAndSet(null);
                proxies.forEach(this::buildProxy);
                proxylessLocalities.forEach(this::buildProxyless);
            });
        }
    }

    void connected(String nodeId, ProxyBootstrap bootstrap) {
        builder.execute(() -> {
            proxies.put(nodeId, bootstrap);
            buildProxy(nodeId, bootstrap);
        });
    }

    /** The cache group of the proxyless clients in {@code locality}. */
    static String proxylessGroup(Locality locality) {
        return locality.isNone() ? PROXYLESS : PROXYLESS + "|" + locality;
    }

    void proxylessConnected(Locality locality) {
        builder.execute(() -> {
            String group = proxylessGroup(locality);
            if (proxylessClients.merge(group, 1, Integer::sum) == 1) {
                proxylessLocalities.put(group, locality);
                buildProxyless(group, locality);
            }
        });
    }

    /** @param proxylessLocality the locality of a proxyless client, null for a Trellis proxy */
    void disconnected(String nodeId, Locality proxylessLocality) {
        builder.execute(() -> {
            if (proxylessLocality != null) {
                String group = proxylessGroup(proxylessLocality);
                if (proxylessClients.merge(group, -1, Integer::sum) == 0) {
                    proxylessClients.remove(group);
                    proxylessLocalities.remove(group);
                    forget(group);
                }
            } else if (proxies.remove(nodeId) != null) {
                forget(nodeId);
            }
        });
    }

    /** The version of {@code type} the control plane has for a node; empty before its snapshot is built. */
    String version(String group, XdsType type) {
        Snapshot snapshot = cache.getSnapshot(group);
        return snapshot == null ? "" : snapshot.version(type.typeUrl());
    }

    /** What did not resolve when a group's snapshot was last built. */
    List<String> problems(String group) {
        return problems.getOrDefault(group, List.of());
    }

    private void buildProxy(String nodeId, ProxyBootstrap bootstrap) {
        build(nodeId, () -> forProxy.apply(mesh, bootstrap));
    }

    private void buildProxyless(String group, Locality locality) {
        build(group, () -> forProxyless.apply(mesh, locality));
    }

    /** One group's build, apart from the others': a failure leaves its last snapshot, and says why in its status. */
    private void build(String group, Supplier<ProxySnapshotBuilder.Result> builder) {
        try {
            set(group, builder.get());
        } catch (RuntimeException e) {
            log.error("building the configuration of {} failed; it keeps the last one", group, e);
            problems.put(group, List.of("building its configuration failed, it keeps the last one: " + e));
        }
    }

    private void set(String group, ProxySnapshotBuilder.Result result) {
        List<String> inconsistent = Consistency.problems(result.resources());
        if (!inconsistent.isEmpty()) {
            // A defect of the builder, never of the input: keep serving the last good snapshot.
            log.error("snapshot for {} is inconsistent and was not sent: {}", group, inconsistent);
            problems.put(group, inconsistent.stream().map(p -> "not sent, inconsistent: " + p).toList());
            return;
        }
        if (!result.problems().equals(problems.getOrDefault(group, List.of()))) {
            result.problems().forEach(p -> log.warn("{}: {}", group, p));
        }
        problems.put(group, result.problems());
        XdsResources resources = result.resources();
        if (resources.equals(built.get(group))) {
            return;
        }
        built.put(group, resources);
        cache.setSnapshot(group, Snapshot.create(
                resources.clusters().values(), resources.version(XdsType.CLUSTER),
                resources.endpoints().values(), resources.version(XdsType.ENDPOINT),
                resources.listeners().values(), resources.version(XdsType.LISTENER),
                resources.routes().values(), resources.version(XdsType.ROUTE),
                List.of(), ""));
    }

    private void forget(String group) {
        built.remove(group);
        problems.remove(group);
        clear(group, 1);
    }

    /**
     * Clears a group from the cache. The cache refuses while the group has open watches, which the
     * closing stream still holds for a moment: try again a little later, unless the group is back.
     */
    private void clear(String group, int attempt) {
        boolean back = proxylessClients.containsKey(group) || proxies.containsKey(group);
        if (back || cache.clearSnapshot(group)) {
            return;
        }
        if (attempt < CLEAR_ATTEMPTS) {
            builder.schedule(() -> clear(group, attempt + 1), 1, TimeUnit.SECONDS);
        } else {
            log.warn("the snapshot of {} could not be cleared: the cache still has watches open for it", group);
        }
    }

    @Override
    public void close() {
        builder.shutdownNow();
        try {
            builder.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
