package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.config.ConfigLoader;
import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import dev.trellis.xds.snapshot.ProxySnapshotBuilder;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * java-control-plane's own xDS server on 127.0.0.1, serving one set of resources to every node
 * that connects (each node in its own cache group, by node id), and recording every request.
 */
final class TestControlPlane implements AutoCloseable {
    private final SimpleCache<String> cache = new SimpleCache<>(Node::getId);
    private final List<DiscoveryRequest> requests = new CopyOnWriteArrayList<>();
    private final Set<String> nodes = new LinkedHashSet<>();
    private final Server server;
    private final int port;
    private Snapshot snapshot;

    /** On an ephemeral port. */
    TestControlPlane() {
        this(0);
    }

    /** On {@code port}: a control plane that comes back where it was. */
    TestControlPlane(int port) {
        V3DiscoveryServer discovery = new V3DiscoveryServer(new DiscoveryServerCallbacks() {
            @Override
            public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
                requests.add(request);
                synchronized (TestControlPlane.this) {
                    if (nodes.add(request.getNode().getId()) && snapshot != null) {
                        cache.setSnapshot(request.getNode().getId(), snapshot);
                    }
                }
            }

            @Override
            public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
                throw new UnsupportedOperationException("delta xDS");
            }
        }, cache);
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), InsecureServerCredentials.create())
                    .addService(discovery.getAggregatedDiscoveryServiceImpl())
                    .build()
                    .start();
            this.port = server.getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    /** {@code 127.0.0.1:<port>}, as {@code --control-plane} takes it. */
    String address() {
        return "127.0.0.1:" + port();
    }

    /** From now on every node gets these resources, each type versioned by its content. */
    synchronized void serve(XdsResources resources) {
        snapshot = Snapshot.create(
                resources.clusters().values(), resources.version(XdsType.CLUSTER),
                resources.endpoints().values(), resources.version(XdsType.ENDPOINT),
                resources.listeners().values(), resources.version(XdsType.LISTENER),
                resources.routes().values(), resources.version(XdsType.ROUTE),
                List.of(), "");
        nodes.forEach(node -> cache.setSnapshot(node, snapshot));
    }

    /** Every request received so far, in order. */
    List<DiscoveryRequest> requests() {
        return new ArrayList<>(requests);
    }

    /** The requests that carried an error_detail, i.e. NACKs. */
    List<DiscoveryRequest> nacks() {
        return requests.stream().filter(DiscoveryRequest::hasErrorDetail).toList();
    }

    /** The ids of the nodes that connected, in order of their first request. */
    synchronized List<String> nodeIds() {
        return List.copyOf(nodes);
    }

    /** The resources a proxy's control plane would build for the Proxy document of {@code yaml} from the rest of it. */
    static XdsResources resources(String yaml) {
        try {
            MeshConfig mesh = ConfigLoader.parse("mesh.yaml", yaml);
            ProxyBootstrap proxy = mesh.proxies().get(0);
            ProxySnapshotBuilder.Result result = ProxySnapshotBuilder.build(mesh, proxy);
            assertThat(result.problems()).isEmpty();
            return result.resources();
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
