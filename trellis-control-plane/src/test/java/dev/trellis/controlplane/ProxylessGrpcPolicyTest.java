package dev.trellis.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controlplane.api.ControlPlaneApi;
import dev.trellis.controlplane.xds.ProxyStatus;
import dev.trellis.testing.GrpcNameServer;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.xds.XdsNameResolverProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client, in locality us-west/zone1, against the control plane serving a
 * DestinationRule with a connection pool, outlier detection, a retry budget, a warm-up and locality
 * failover: it accepts the clusters and endpoints (SYNCED, never NACKED), calls only the endpoint
 * of its own locality (priority 0), and fails over to the next priority when that one is gone.
 */
class ProxylessGrpcPolicyTest {
    /** A scheme of this test's own, so that its bootstrap touches no other channel in the JVM. */
    static final String SCHEME = "trellis-proxyless-policy-test";
    static final String NODE = "orders-west";

    @TempDir
    Path dir;
    ControlPlane controlPlane;
    GrpcNameServer west;
    GrpcNameServer east;
    XdsNameResolverProvider resolver;
    ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        west = GrpcNameServer.start("west");
        east = GrpcNameServer.start("east");
        controlPlane = ControlPlane.start(new ControlPlane.Options(dir, "127.0.0.1", 0, "127.0.0.1", 0, Duration.ofSeconds(10)));
        resolver = XdsNameResolverProvider.createForTest(SCHEME, Map.of(
                "node", Map.of("id", NODE, "locality", Map.of("region", "us-west", "zone", "zone1")),
                "xds_servers", List.of(Map.of(
                        "server_uri", "127.0.0.1:" + controlPlane.xdsPort(),
                        "channel_creds", List.of(Map.of("type", "insecure")),
                        "server_features", List.of("xds_v3")))));
        NameResolverRegistry.getDefaultRegistry().register(resolver);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        NameResolverRegistry.getDefaultRegistry().deregister(resolver);
        controlPlane.close();
        west.close();
        east.close();
    }

    @Test
    void grpcJavaAcceptsTheClusterPolicyAndFollowsItsLocalityPriorities() throws Exception {
        controlPlane.apply(List.of(new ControlPlaneApi.Source("mesh.yaml", """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  ports: [{number: 50051, name: grpc, protocol: GRPC}]
                  resolution: STATIC
                  endpoints:
                  - {address: 127.0.0.1, ports: {grpc: %d}, locality: us-west/zone1, labels: {version: v1}}
                  - {address: 127.0.0.1, ports: {grpc: %d}, locality: eu-west/zone1, labels: {version: v2}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy:
                    connectionPool:
                      tcp: {maxConnections: 100, connectTimeout: 2s}
                      http: {http2MaxRequests: 500, maxRetries: 3, idleTimeout: 30s}
                    outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50}
                    retryBudget: {percent: 25}
                    loadBalancer:
                      simple: LEAST_REQUEST
                      warmup: {duration: 10s}
                      localityLbSetting: {failover: [{from: us-west, to: eu-west}]}
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}}
                """.formatted(west.port(), east.port()))), false);
        channel = Grpc.newChannelBuilder(SCHEME + ":///catalog.default.svc.cluster.local:50051", InsecureChannelCredentials.create())
                .build();

        waitUntil("the client reaches its own locality's endpoint").until(() -> call().equals("west"));
        assertThat(calls(20)).as("priority 0 takes every call while it is up").containsExactly("west");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(controlPlane.proxies()).singleElement().satisfies(s -> {
            assertThat(s.nodeId()).isEqualTo(NODE);
            assertThat(s.state()).isEqualTo(ProxyStatus.State.SYNCED);
        }));

        west.close();
        waitUntil("the client fails over to the next priority").until(() -> call().equals("east"));
        assertThat(controlPlane.proxies()).singleElement().satisfies(s -> assertThat(s.state()).isNotEqualTo(ProxyStatus.State.NACKED));
    }

    /** A wait for the client to apply what it was served; it ends at once if the client NACKs. */
    private ConditionFactory waitUntil(String what) {
        return await(what)
                .atMost(Duration.ofSeconds(60))
                .failFast("gRPC's xDS client rejected what it was served", () -> controlPlane.proxies().stream()
                        .anyMatch(s -> s.state() == ProxyStatus.State.NACKED))
                .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s
                        && (s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED || s.getStatus().getCode() == Status.Code.UNAVAILABLE));
    }

    private String call() {
        return GrpcNameServer.call(channel, Duration.ofSeconds(10));
    }

    private Set<String> calls(int count) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < count; i++) {
            names.add(call());
        }
        return names;
    }
}
