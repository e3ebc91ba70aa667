package dev.trellis.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.config.ConfigLoader;
import dev.trellis.testing.GrpcNameServer;
import dev.trellis.xds.Consistency;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.xds.XdsNameResolverProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * grpc-java's own xDS client, bootstrapped to java-control-plane's ADS server that serves what
 * {@link GrpcSnapshotBuilder} built, calls two real backends: it accepts every resource (no NACK),
 * balances over both instances, follows a weight shift between subsets, matches paths with the
 * case sensitivity the routes state, and resolves the host name of a LOGICAL_DNS cluster itself.
 */
class GrpcXdsClientInteropTest {
    /** A scheme of this test's own, so that its bootstrap touches no other channel in the JVM. */
    static final String SCHEME = "trellis-xds-test";
    /** How long a change may take to reach the client: generous, for a shared and busy machine. */
    static final Duration PATIENCE = Duration.ofSeconds(60);
    /** How long one call may wait for the client to be ready; the wait for a change goes on past it. */
    static final Duration CALL_DEADLINE = Duration.ofSeconds(10);

    private final List<Server> servers = new ArrayList<>();
    private final List<GrpcNameServer> backends = new ArrayList<>();
    private final List<String> nacks = new CopyOnWriteArrayList<>();
    private final SimpleCache<String> cache = new SimpleCache<>(node -> "grpc");
    private int v1;
    private int v2;
    private XdsNameResolverProvider resolver;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        v1 = backend("v1");
        v2 = backend("v2");
        int controlPlane = start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new V3DiscoveryServer(new NackRecorder(), cache).getAggregatedDiscoveryServiceImpl())
                .build()).getPort();
        resolver = XdsNameResolverProvider.createForTest(SCHEME, bootstrap(controlPlane));
        NameResolverRegistry.getDefaultRegistry().register(resolver);
    }

    @AfterEach
    void close() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        NameResolverRegistry.getDefaultRegistry().deregister(resolver);
        for (Server server : servers) {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        backends.forEach(GrpcNameServer::close);
    }

    @Test
    void grpcJavaBalancesOverTheServiceAndFollowsAWeightShift() throws Exception {
        serve(mesh(v1, v2, ""));
        open("catalog.default.svc.cluster.local:50051");

        Set<String> answered = new HashSet<>();
        waitUntil("both instances answer").until(() -> {
            answered.add(call());
            return answered.size() == 2;
        });

        serve(mesh(v1, v2, split(0, 100)));
        waitUntil("every call reaches v2").until(() -> calls(20).equals(Set.of("v2")));

        // Back to both subsets: v1 answering again shows the weighted clusters were applied.
        serve(mesh(v1, v2, split(50, 50)));
        waitUntil("v1 answers again").until(() -> calls(20).contains("v1"));

        assertThat(nacks).isEmpty();
    }

    @Test
    void grpcJavaResolvesTheHostNameOfALogicalDnsClusterItself() throws Exception {
        serve(mesh(v1, v2, "") + """
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: payments}
                spec:
                  hosts: [payments.example.com]
                  ports: [{number: 50051, name: grpc, protocol: GRPC}]
                  resolution: DNS
                  endpoints: [{address: localhost, ports: {grpc: %d}}]
                """.formatted(v2));
        open("payments.example.com:50051");

        waitUntil("the instance behind the host name answers").until(() -> call().equals("v2"));
        assertThat(nacks).isEmpty();
    }

    /** The mesh: {@code catalog} on port 50051 with one instance per version, and subsets v1 and v2. */
    static String mesh(int v1, int v2, String virtualService) {
        return """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  ports: [{number: 50051, name: grpc, protocol: GRPC}]
                  resolution: STATIC
                  endpoints:
                  - {address: 127.0.0.1, ports: {grpc: %d}, labels: {version: v1}}
                  - {address: 127.0.0.1, ports: {grpc: %d}, labels: {version: v2}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy: {loadBalancer: {simple: RANDOM}}
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}
                """.formatted(v1, v2) + virtualService;
    }

    /**
     * Weights between the subsets, after a route that the test's calls must not take: it differs
     * from their path in case only, which gRPC ignores unless told that the match is case-sensitive.
     */
    static String split(int v1, int v2) {
        return """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - name: other-case
                    match: [{uri: {prefix: /TRELLIS.test.Backend/}}]
                    route: [{destination: {host: catalog, subset: v1}}]
                  - name: split
                    route:
                    - {destination: {host: catalog, subset: v1}, weight: %d}
                    - {destination: {host: catalog, subset: v2}, weight: %d}
                """.formatted(v1, v2);
    }

    /** Builds the gRPC snapshot of {@code yaml} and hands it to the cache, each type versioned by its content. */
    private void serve(String yaml) throws Exception {
        GrpcSnapshotBuilder.Result result = GrpcSnapshotBuilder.build(ConfigLoader.parse("mesh.yaml", yaml));
        XdsResources resources = result.resources();
        assertThat(result.problems()).isEmpty();
        assertThat(Consistency.problems(resources)).isEmpty();
        cache.setSnapshot("grpc", Snapshot.create(
                resources.clusters().values(), resources.version(XdsType.CLUSTER),
                resources.endpoints().values(), resources.version(XdsType.ENDPOINT),
                resources.listeners().values(), resources.version(XdsType.LISTENER),
                resources.routes().values(), resources.version(XdsType.ROUTE),
                List.of(), ""));
    }

    /** gRPC's bootstrap, given per test rather than through the environment. */
    static Map<String, ?> bootstrap(int controlPlanePort) {
        return Map.of(
                "node", Map.of("id", "proxyless-grpc-test"),
                "xds_servers", List.of(Map.of(
                        "server_uri", "127.0.0.1:" + controlPlanePort,
                        "channel_creds", List.of(Map.of("type", "insecure")),
                        "server_features", List.of("xds_v3"))));
    }

    /**
     * A wait for the client to apply what it was served. It ends at once when the client NACKs a
     * resource, with the client's reason; a call that finds no ready backend before its deadline
     * only means the change has not arrived yet.
     */
    private ConditionFactory waitUntil(String what) {
        return await(what)
                .atMost(PATIENCE)
                .failFast("gRPC's xDS client rejected what it was served", () -> assertThat(nacks).isEmpty())
                .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
    }

    /** A channel to {@code authority} through the xDS name resolver, as an application would dial it. */
    private void open(String authority) {
        channel = Grpc.newChannelBuilder(SCHEME + ":///" + authority, InsecureChannelCredentials.create()).build();
    }

    private String call() {
        return GrpcNameServer.call(channel, CALL_DEADLINE);
    }

    private int backend(String name) {
        GrpcNameServer backend = GrpcNameServer.start(name);
        backends.add(backend);
        return backend.port();
    }

    private Set<String> calls(int count) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < count; i++) {
            names.add(call());
        }
        return names;
    }

    private Server start(Server server) throws IOException {
        servers.add(server);
        return server.start();
    }

    /** Keeps every NACK: a request that carries an error about the last response. */
    private final class NackRecorder implements DiscoveryServerCallbacks {
        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            if (request.hasErrorDetail()) {
                nacks.add(request.getTypeUrl() + ": " + request.getErrorDetail().getMessage());
            }
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}
    }
}
