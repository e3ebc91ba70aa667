package dev.trellis.controlplane.xds;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each connected node's snapshot in step with the mesh. A Trellis proxy gets its own,
 * built from its Proxy bootstrap; every other client shares one snapshot of the whole mesh. All
 * building runs on one thread, in the order changes came, so a snapshot never goes back in time;
 * a snapshot is checked for consistency before it is set, and set only when it differs.
 */
final class Snapshots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

    /** The cache group of every client that is not a Trellis proxy. */
    static final String PROXYLESS = "proxyless";

    private final NackHoldingCache cache;
    private final BiFunction<MeshConfig, ProxyBootstrap, ProxySnapshotBuilder.Result> forProxy;
    private final Function<MeshConfig, ProxySnapshotBuilder.Result> forProxyless;
    private final ExecutorService builder = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "trellis-snapshots");
        t.setDaemon(true);
        return t;
    });
    // Touched only on the builder thread.
    private MeshConfig mesh;
    private final Map<String, ProxyBootstrap> proxies = new HashMap<>();
    private int proxylessClients;
    private final Map<String, XdsResources> built = new HashMap<>();
    // Read by the API.
    private final Map<String, List<String>> problems = new ConcurrentHashMap<>();

    Snapshots(NackHoldingCache cache, MeshConfig mesh,
            BiFunction<MeshConfig, ProxyBootstrap, ProxySnapshotBuilder.Result> forProxy,
            Function<MeshConfig, ProxySnapshotBuilder.Result> forProxyless) {
        this.cache = cache;
        this.mesh = mesh;
        this.forProxy = forProxy;
        this.forProxyless = forProxyless;
    }

    /** The mesh changed: every node's snapshot is built again. */
    void meshChanged(MeshConfig next) {
        builder.execute(() -> {
            mesh = next;
            proxies.forEach(this::buildProxy);
            if (proxylessClients > 0) {
                buildProxyless();
            }
        });
    }

    void connected(String nodeId, ProxyBootstrap bootstrap) {
        builder.execute(() -> {
            proxies.put(nodeId, bootstrap);
            buildProxy(nodeId, bootstrap);
        });
    }

    void proxylessConnected() {
        builder.execute(() -> {
            if (proxylessClients++ == 0) {
                buildProxyless();
            }
        });
    }

    void disconnected(String nodeId, boolean proxyless) {
        builder.execute(() -> {
            if (proxyless) {
                if (--proxylessClients == 0) {
                    forget(PROXYLESS);
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
        set(nodeId, forProxy.apply(mesh, bootstrap));
    }

    private void buildProxyless() {
        set(PROXYLESS, forProxyless.apply(mesh));
    }

    private void set(String group, ProxySnapshotBuilder.Result result) {
        List<String> inconsistent = Consistency.problems(result.resources());
        if (!inconsistent.isEmpty()) {
            // A defect of the builder, never of the input: keep serving the last good snapshot.
            log.error("snapshot for {} is inconsistent and was not sent: {}", group, inconsistent);
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
        cache.clearSnapshot(group);
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
