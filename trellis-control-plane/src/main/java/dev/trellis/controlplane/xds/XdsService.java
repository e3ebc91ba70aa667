package dev.trellis.controlplane.xds;

import dev.trellis.model.Locality;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.xds.ProxyNodes;
import dev.trellis.xds.snapshot.GrpcSnapshotBuilder;
import dev.trellis.xds.snapshot.ProxySnapshotBuilder;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Serves the mesh over ADS: the discovery server, the snapshot cache that holds rejected versions,
 * the snapshot of each connected node, and what each client holds. Trellis proxies are grouped by
 * node (each has its own snapshot); every other client shares the snapshot of the whole mesh with
 * the clients in its locality (its node's {@code locality}), which ranks its endpoints.
 */
public final class XdsService implements AutoCloseable {
    /** Told when a Trellis proxy comes and goes, so that its workload can be registered. */
    public interface Events {
        void proxyConnected(String nodeId, ProxyBootstrap bootstrap, String address);

        void proxyDisconnected(String nodeId);
    }

    private final Snapshots snapshots;
    private final ProxyConnections connections;
    private final XdsServer server;

    private XdsService(String host, int port, MeshConfig mesh, Events events) {
        NackHoldingCache cache = new NackHoldingCache(XdsService::group);
        this.snapshots = new Snapshots(cache, mesh, ProxySnapshotBuilder::build, XdsService::proxyless);
        this.connections = new ProxyConnections(new ProxyConnections.Listener() {
            @Override
            public void connected(Node node, Optional<ProxyBootstrap> bootstrap, String address) {
                if (bootstrap.isPresent()) {
                    snapshots.connected(node.getId(), bootstrap.get());
                    events.proxyConnected(node.getId(), bootstrap.get(), address);
                } else {
                    snapshots.proxylessConnected(ProxyNodes.locality(node.getLocality()));
                }
            }

            @Override
            public void disconnected(Node node, boolean trellisProxy) {
                snapshots.disconnected(node.getId(), trellisProxy ? null : ProxyNodes.locality(node.getLocality()));
                if (trellisProxy) {
                    events.proxyDisconnected(node.getId());
                }
            }
        }, Clock.systemUTC());
        this.server = XdsServer.start(host, port, cache, connections);
    }

    /**
     * Starts serving on {@code host:port} (port 0: any free port).
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static XdsService start(String host, int port, MeshConfig mesh, Events events) {
        return new XdsService(host, port, mesh, events);
    }

    /** What a proxyless client is served; settings it would not apply are for the docs, not for its status. */
    private static ProxySnapshotBuilder.Result proxyless(MeshConfig mesh, Locality locality) {
        GrpcSnapshotBuilder.Result result = GrpcSnapshotBuilder.build(mesh, locality);
        return new ProxySnapshotBuilder.Result(result.resources(), result.problems());
    }

    /** Every node's snapshot is built again from {@code mesh}. */
    public void meshChanged(MeshConfig mesh) {
        snapshots.meshChanged(mesh);
    }

    /** Every connected client, and how far it is in step. */
    public List<ProxyStatus> statuses() {
        return connections.statuses(
                (nodeId, type) -> snapshots.version(groupOf(nodeId), type),
                nodeId -> snapshots.problems(groupOf(nodeId)));
    }

    public int port() {
        return server.port();
    }

    private String groupOf(String nodeId) {
        return connections.node(nodeId).map(XdsService::group).orElse(nodeId);
    }

    /** The cache group of a node: its own for a Trellis proxy, the one of its locality for any other client. */
    static String group(Node node) {
        return node.getMetadata().containsFields(ProxyNodes.METADATA_KEY)
                ? node.getId()
                : Snapshots.proxylessGroup(ProxyNodes.locality(node.getLocality()));
    }

    @Override
    public void close() {
        server.close();
        connections.close();
        snapshots.close();
    }
}
