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
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client (target {@code xds:///catalog.default.svc.cluster.local:50051}) against
 * the control plane, with no proxy beside it: it balances over two instances, follows a weighted
 * route change applied to the control plane, accepts a route's timeout, retries and fault (the
 * injected abort failing its calls with the abort's status), and shows SYNCED in proxy status.
 */
class ProxylessGrpcTest {
    /** A scheme of this test's own, so that its bootstrap touches no other channel in the JVM. */
    static final String SCHEME = "trellis-proxyless-test";
    static final String NODE = "orders-1";

    @TempDir
    Path dir;
    ControlPlane controlPlane;
    GrpcNameServer v1;
    GrpcNameServer v2;
    XdsNameResolverProvider resolver;
    ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        v1 = GrpcNameServer.start("v1");
        v2 = GrpcNameServer.start("v2");
        controlPlane = ControlPlane.start(new ControlPlane.Options(dir, "127.0.0.1", 0, "127.0.0.1", 0, Duration.ofSeconds(10)));
        resolver = XdsNameResolverProvider.createForTest(SCHEME, Map.of(
                "node", Map.of("id", NODE),
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
        v1.close();
        v2.close();
    }

    @Test
    void grpcJavaBalancesOverTheServiceAndFollowsARouteChange() throws Exception {
        apply("""
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
                  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
                """.formatted(v1.port(), v2.port()));
        channel = Grpc.newChannelBuilder(SCHEME + ":///catalog.default.svc.cluster.local:50051", InsecureChannelCredentials.create())
                .build();

        Set<String> answered = new HashSet<>();
        waitUntil("both instances answer").until(() -> {
            answered.add(call());
            return answered.size() == 2;
        });

        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - route:
                    - {destination: {host: catalog, subset: v1}, weight: 0}
                    - {destination: {host: catalog, subset: v2}, weight: 100}
                """);
        waitUntil("every call reaches v2").until(() -> calls(20).equals(Set.of("v2")));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(controlPlane.proxies()).singleElement().satisfies(s -> {
            assertThat(s.nodeId()).isEqualTo(NODE);
            assertThat(s.name()).as("not a Trellis proxy").isEmpty();
            assertThat(s.state()).isEqualTo(ProxyStatus.State.SYNCED);
        }));
    }

    @Test
    void grpcJavaAcceptsTimeoutRetriesAndAFaultAndTheAbortReachesTheCallAsItsStatus() throws Exception {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  ports: [{number: 50051, name: grpc, protocol: GRPC}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
                """.formatted(v1.port()));
        channel = Grpc.newChannelBuilder(SCHEME + ":///catalog.default.svc.cluster.local:50051", InsecureChannelCredentials.create())
                .build();
        waitUntil("the instance answers").until(() -> call().equals("v1"));

        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - name: backend
                    match: [{uri: {prefix: /trellis.test.Backend/}}]
                    route: [{destination: {host: catalog}}]
                    timeout: 5s
                    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "unavailable,cancelled,5xx", backoff: 20ms}
                    fault: {abort: {grpcStatus: RESOURCE_EXHAUSTED, percentage: {value: 100}}}
                """);
        AtomicReference<Status> aborted = new AtomicReference<>();
        waitUntil("the injected abort fails the call").until(() -> {
            try {
                call();
                return false;
            } catch (StatusRuntimeException e) {
                aborted.set(e.getStatus());
                return e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED;
            }
        });
        assertThat(aborted.get().getDescription()).contains("fault injection");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(controlPlane.proxies()).singleElement().satisfies(s -> {
            assertThat(s.state()).as("every resource acknowledged").isEqualTo(ProxyStatus.State.SYNCED);
            assertThat(s.types().values()).allSatisfy(t -> assertThat(t.lastNack()).isEmpty());
        }));
    }

    private void apply(String yaml) throws Exception {
        controlPlane.apply(List.of(new ControlPlaneApi.Source("mesh.yaml", yaml)), false);
    }

    /** A wait for the client to apply what it was served; it ends at once if the client NACKs. */
    private ConditionFactory waitUntil(String what) {
        return await(what)
                .atMost(Duration.ofSeconds(60))
                .failFast("gRPC's xDS client rejected what it was served", () -> controlPlane.proxies().stream()
                        .anyMatch(s -> s.state() == ProxyStatus.State.NACKED))
                .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
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
