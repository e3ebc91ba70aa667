package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.proxy.xds.AdsStatus;
import dev.trellis.proxy.xds.Backoff;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpLoad;
import dev.trellis.testing.KeepAliveClient;
import dev.trellis.xds.ProxyNodes;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxy driven by java-control-plane's own xDS server: traffic follows what the control plane
 * serves, changes apply under load without failing a request, refusals are NACKed once, and the
 * proxy keeps serving through control plane outages, from what it saved if it has to.
 */
class ConnectedProxyTest {
    static final String APP_LISTENER = "outbound|0|app.default.svc.cluster.local:80";
    static final String OTHER_LISTENER = "outbound|0|other.default.svc.cluster.local:80";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    final List<AutoCloseable> closing = new ArrayList<>();
    HttpEchoServer v1, v2;
    TestControlPlane controlPlane;

    @BeforeEach
    void start() {
        v1 = later(new HttpEchoServer("v1").start());
        v2 = later(new HttpEchoServer("v2").start());
        controlPlane = later(new TestControlPlane());
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    <T extends AutoCloseable> T later(T resource) {
        closing.add(resource);
        return resource;
    }

    static String proxy(String upstreams) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: %s
                  admin: {port: 0}
                """.formatted(upstreams);
    }

    static final String ONE_UPSTREAM = proxy("[{service: app, port: 80, bindPort: 0}]");
    static final String TWO_UPSTREAMS = proxy("[{service: app, port: 80, bindPort: 0}, {service: other, port: 80, bindPort: 0}]");

    /** The app's endpoints (v1 and v2 subsets) and a VirtualService with these weights, and {@code extra} documents. */
    static String mesh(String proxy, int v1Port, int v2Port, int weightV1, int weightV2, String extraRoutes, String extra) {
        return proxy + """
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v1}}
                  - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v2}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app}
                spec:
                  host: app
                  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app}
                spec:
                  hosts: [app]
                  http:
                %s  - route:
                    - {destination: {host: app, subset: v1}, weight: %d}
                    - {destination: {host: app, subset: v2}, weight: %d}
                """.formatted(v1Port, v2Port, extraRoutes, weightV1, weightV2) + extra;
    }

    String mesh(int weightV1, int weightV2) {
        return mesh(ONE_UPSTREAM, v1.port(), v2.port(), weightV1, weightV2, "", "");
    }

    static String otherService(int port) {
        return """
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: other}
                spec:
                  hosts: [other]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(port);
    }

    ConnectedProxy startProxy(String proxyDocument, Path data, String... controlPlanes) throws Exception {
        Path file = Files.writeString(dir.resolve("proxy-" + closing.size() + ".yaml"), proxyDocument);
        ConnectedProxy proxy = ConnectedProxy.start(List.of(file), null, new ConnectedProxy.Options(
                List.of(controlPlanes.length == 0 ? new String[] {controlPlane.address()} : controlPlanes), data,
                new ProxyServer.Options(2, Duration.ofSeconds(5)),
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), RandomGenerator.getDefault())));
        return later(proxy);
    }

    ConnectedProxy startProxy() throws Exception {
        return startProxy(ONE_UPSTREAM, dir.resolve("data"));
    }

    static int port(ConnectedProxy proxy, String listener) {
        return await().atMost(WAIT).until(() -> proxy.server().ports().get(listener), p -> p != null);
    }

    static KeepAliveClient.Response get(int port, String path) throws IOException {
        return get(port, path, Map.of());
    }

    static KeepAliveClient.Response get(int port, String path, Map<String, String> headers) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            return client.get(path, headers);
        }
    }

    static String servedBy(int port) throws IOException {
        return get(port, "/").header("x-served-by");
    }

    @Test
    void trafficFollowsRouteEndpointAndClusterChangesUnderLoadWithoutAFailedRequest() throws Exception {
        HttpEchoServer v3 = later(new HttpEchoServer("v3").start());
        HttpEchoServer other = later(new HttpEchoServer("other").start());
        controlPlane.serve(TestControlPlane.resources(mesh(100, 0)));
        ConnectedProxy proxy = startProxy();
        int port = port(proxy, APP_LISTENER);
        await().atMost(WAIT).until(() -> servedBy(port), "v1"::equals);

        HttpLoad load = later(HttpLoad.start("127.0.0.1", port, "/", 2));
        HttpLoad slow = later(HttpLoad.start("127.0.0.1", port, "/delay/200", 2));
        HttpLoad toOther = later(HttpLoad.start("127.0.0.1", port, "/", Map.of("x-to", "other"), 1));

        // A route change: all of the traffic moves to the v2 subset.
        controlPlane.serve(TestControlPlane.resources(mesh(0, 100)));
        await().atMost(WAIT).until(() -> servedBy(port), "v2"::equals);

        // An endpoint change: the v2 subset's endpoint moves to another server.
        controlPlane.serve(TestControlPlane.resources(mesh(ONE_UPSTREAM, v1.port(), v3.port(), 0, 100, "", "")));
        await().atMost(WAIT).until(() -> servedBy(port), "v3"::equals);

        // A cluster added: a header route to another service.
        String headerRoute = """
                  - match: [{headers: {x-to: {exact: other}}}]
                    route: [{destination: {host: other}}]
                """;
        controlPlane.serve(TestControlPlane.resources(
                mesh(ONE_UPSTREAM, v1.port(), v3.port(), 0, 100, headerRoute, otherService(other.port()))));
        await().atMost(WAIT).until(() -> get(port, "/", Map.of("x-to", "other")).header("x-served-by"), "other"::equals);
        assertThat(proxy.server().config().clusters()).containsKey("outbound|80||other.default.svc.cluster.local");

        // And removed again.
        controlPlane.serve(TestControlPlane.resources(mesh(ONE_UPSTREAM, v1.port(), v3.port(), 0, 100, "", "")));
        await().atMost(WAIT).until(() -> get(port, "/", Map.of("x-to", "other")).header("x-served-by"), "v3"::equals);
        await().atMost(WAIT).until(() -> !proxy.server().config().clusters().containsKey("outbound|80||other.default.svc.cluster.local"));
        await().atMost(WAIT).until(() -> slow.completed() >= 10);
        load.close();
        slow.close();
        toOther.close();
        assertThat(load.failures()).as("no request failed while the configuration changed").isEmpty();
        assertThat(slow.failures()).as("requests in flight during the changes all completed").isEmpty();
        assertThat(toOther.failures()).as("no request failed as the cluster came and went").isEmpty();
        assertThat(load.servedBy()).containsKeys("v1", "v2", "v3");
        assertThat(toOther.servedBy()).containsKeys("other", "v3");
        assertThat(controlPlane.nacks()).isEmpty();
    }

    @Test
    void aListenerAddedServesAndARemovedOneStopsAcceptingAndDrainsItsRequestInFlight() throws Exception {
        HttpEchoServer other = later(new HttpEchoServer("other").start());
        controlPlane.serve(TestControlPlane.resources(mesh(100, 0)));
        ConnectedProxy proxy = startProxy();
        int port = port(proxy, APP_LISTENER);
        await().atMost(WAIT).until(() -> servedBy(port), "v1"::equals);

        HttpLoad load = later(HttpLoad.start("127.0.0.1", port, "/", 2));
        controlPlane.serve(TestControlPlane.resources(
                mesh(TWO_UPSTREAMS, v1.port(), v2.port(), 100, 0, "", otherService(other.port()))));
        int otherPort = port(proxy, OTHER_LISTENER);
        assertThat(servedBy(otherPort)).isEqualTo("other");

        CompletableFuture<KeepAliveClient.Response> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return get(otherPort, "/delay/3000"); // long enough to outlast the removal below
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        await().atMost(WAIT).until(() -> activeRequests(proxy, "outbound|80||other.default.svc.cluster.local") == 1);

        controlPlane.serve(TestControlPlane.resources(mesh(100, 0)));
        await().atMost(WAIT).until(() -> !proxy.server().ports().containsKey(OTHER_LISTENER));
        await().atMost(WAIT).until(() -> refused(otherPort));
        assertThat(slow).as("the request in flight when its listener was removed is still running").isNotDone();

        KeepAliveClient.Response drained = slow.get(10, TimeUnit.SECONDS);
        assertThat(drained.status()).isEqualTo(200);
        assertThat(drained.header("x-served-by")).isEqualTo("other");
        assertThat(drained.header("connection")).as("the drained connection closes after its response").isEqualTo("close");
        load.close();
        assertThat(load.failures()).as("the listener that stayed never failed a request").isEmpty();
    }

    static int activeRequests(ConnectedProxy proxy, String cluster) {
        return proxy.server().config().clusters().get(cluster).endpoints().get(0).activeRequests();
    }

    static boolean refused(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
            return false;
        } catch (ConnectException e) {
            return true;
        } finally {
            socket.close();
        }
    }

    @Test
    void aRefusedUpdateIsNackedOnceWithItsReasonsAndTheRunningConfigurationStays() throws Exception {
        XdsResources good = TestControlPlane.resources(mesh(100, 0));
        controlPlane.serve(good);
        ConnectedProxy proxy = startProxy();
        int port = port(proxy, APP_LISTENER);
        await().atMost(WAIT).until(() -> servedBy(port), "v1"::equals);
        await().atMost(WAIT).until(() -> proxy.accepted().version(XdsType.ROUTE).isPresent());

        // A cluster change alone, which would move v1's traffic to v2's server, with two fields Trellis cannot honour yet.
        String refusedCluster = "outbound|80|v1|app.default.svc.cluster.local";
        Map<String, Cluster> clusters = new TreeMap<>(good.clusters());
        clusters.put(refusedCluster, clusters.get(refusedCluster).toBuilder()
                .setType(Cluster.DiscoveryType.STATIC)
                .clearEdsClusterConfig()
                .setLoadAssignment(good.endpoints().get("outbound|80|v2|app.default.svc.cluster.local").toBuilder()
                        .setClusterName(refusedCluster))
                .setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(CircuitBreakers.Thresholds.newBuilder()
                        .setPriority(RoutingPriority.HIGH)))
                .clearLoadBalancingPolicy()
                .setLbPolicy(Cluster.LbPolicy.MAGLEV)
                .build());
        XdsResources bad = new XdsResources(clusters, good.endpoints(), good.listeners(), good.routes());
        controlPlane.serve(bad);

        DiscoveryRequest nack = await().atMost(WAIT).until(() -> controlPlane.nacks(), n -> !n.isEmpty()).get(0);
        assertThat(nack.getTypeUrl()).isEqualTo(XdsType.CLUSTER.typeUrl());
        assertThat(nack.getVersionInfo()).as("the version still running").isEqualTo(good.version(XdsType.CLUSTER));
        assertThat(nack.getErrorDetail().getCode()).isEqualTo(3);
        assertThat(nack.getErrorDetail().getMessage())
                .contains("Cluster " + refusedCluster + ": circuit_breakers.thresholds[0].priority: HIGH "
                        + "(expected: DEFAULT; Trellis has no request priorities)")
                .contains("Cluster " + refusedCluster + ": lb_policy: MAGLEV "
                        + "(expected: ROUND_ROBIN, LEAST_REQUEST, RANDOM or RING_HASH, or load_balancing_policy)");
        for (int i = 0; i < 10; i++) {
            assertThat(servedBy(port)).as("the running configuration stays").isEqualTo("v1");
        }
        assertThat(proxy.accepted().version(XdsType.CLUSTER)).hasValue(good.version(XdsType.CLUSTER));

        JsonNode ads = new ObjectMapper().readTree(get(proxy.server().adminPort(), "/config_dump").bodyText()).get("ads");
        assertThat(ads.get("controlPlane").asText()).isEqualTo(controlPlane.address());
        assertThat(ads.get("connected").asBoolean()).isTrue();
        assertThat(ads.get("node").asText()).isEqualTo(proxy.nodeId()).startsWith("client.default~");
        assertThat(ads.get("since").asText()).isNotEmpty();
        assertThat(ads.at("/types/CDS/acceptedVersion").asText()).isEqualTo(good.version(XdsType.CLUSTER));
        assertThat(ads.at("/types/CDS/lastNack/version").asText()).isEqualTo(bad.version(XdsType.CLUSTER));
        assertThat(ads.at("/types/CDS/lastNack/reason").asText()).contains(refusedCluster + ": circuit_breakers");
        assertThat(ads.at("/types/RDS/lastNack").isMissingNode()).isTrue();

        // Fixed: the control plane sends a new version, which applies. This server re-sends a NACKed
        // version at once; the proxy NACKs each copy only after a growing delay, so there is no loop.
        controlPlane.serve(TestControlPlane.resources(mesh(0, 100)));
        await().atMost(WAIT).until(() -> servedBy(port), "v2"::equals);
        assertThat(controlPlane.nacks()).as("no NACK loop with a server that re-sends a NACKed version").hasSizeBetween(1, 3);
    }

    @Test
    void keepsServingWhileTheControlPlaneIsGoneAndCatchesUpWhenItIsBack() throws Exception {
        XdsResources first = TestControlPlane.resources(mesh(100, 0));
        controlPlane.serve(first);
        ConnectedProxy proxy = startProxy();
        int port = port(proxy, APP_LISTENER);
        await().atMost(WAIT).until(() -> servedBy(port), "v1"::equals);
        await().atMost(WAIT).until(() -> proxy.accepted().version(XdsType.ROUTE).isPresent());

        HttpLoad load = later(HttpLoad.start("127.0.0.1", port, "/", 2));
        int controlPlanePort = controlPlane.port();
        controlPlane.close();
        await().atMost(WAIT).until(() -> proxy.status().state() != AdsStatus.State.CONNECTED);
        long served = load.completed();
        await().atMost(WAIT).until(() -> load.completed() > served + 50); // traffic flows with no control plane

        TestControlPlane back = later(new TestControlPlane(controlPlanePort));
        back.serve(TestControlPlane.resources(mesh(0, 100)));
        await().atMost(WAIT).until(() -> servedBy(port), "v2"::equals);
        assertThat(proxy.status().state()).isEqualTo(AdsStatus.State.CONNECTED);
        DiscoveryRequest resubscribed = back.requests().stream()
                .filter(r -> r.getTypeUrl().equals(XdsType.LISTENER.typeUrl())).findFirst().orElseThrow();
        assertThat(resubscribed.getVersionInfo()).as("subscribed again from the version it runs")
                .isEqualTo(first.version(XdsType.LISTENER));
        load.close();
        assertThat(load.failures()).isEmpty();
    }

    @Test
    void startsFromWhatItSavedWhenNoControlPlaneAnswersAndKeepsTrying() throws Exception {
        Path data = dir.resolve("saved");
        controlPlane.serve(TestControlPlane.resources(mesh(100, 0)));
        ConnectedProxy first = startProxy(ONE_UPSTREAM, data);
        int firstPort = port(first, APP_LISTENER);
        await().atMost(WAIT).until(() -> servedBy(firstPort), "v1"::equals);
        await().atMost(WAIT).until(() -> first.accepted().version(XdsType.ROUTE).isPresent());
        first.shutdown();
        int controlPlanePort = controlPlane.port();
        controlPlane.close();

        ConnectedProxy second = startProxy(ONE_UPSTREAM, data);
        assertThat(second.server().ports()).as("listeners bound at start, from the saved file").containsKey(APP_LISTENER);
        int port = second.server().port(APP_LISTENER);
        assertThat(servedBy(port)).isEqualTo("v1");
        assertThat(get(second.server().adminPort(), "/ready").status()).as("ready on what it saved").isEqualTo(200);
        assertThat(second.status().state()).isNotEqualTo(AdsStatus.State.CONNECTED);
        assertThat(second.nodeId()).isNotEqualTo(first.nodeId());

        TestControlPlane back = later(new TestControlPlane(controlPlanePort));
        back.serve(TestControlPlane.resources(mesh(0, 100)));
        await().atMost(WAIT).until(() -> servedBy(port), "v2"::equals);
    }

    @Test
    void aCorruptSavedFileIsReportedAndTheProxyStartsEmpty() throws Exception {
        Path data = Files.createDirectories(dir.resolve("corrupt"));
        Files.writeString(data.resolve("accepted-xds.pb"), "trellis accepted xDS resources v1\nthis is not protobuf");
        int controlPlanePort = controlPlane.port();
        controlPlane.close();

        ConnectedProxy proxy = startProxy(ONE_UPSTREAM, data);
        assertThat(proxy.server().ports()).as("no listeners").isEmpty();
        KeepAliveClient.Response notReady = get(proxy.server().adminPort(), "/ready");
        assertThat(notReady.status()).as("not ready before it has a configuration").isEqualTo(503);
        assertThat(notReady.bodyText()).isEqualTo("NOT READY: waiting for its configuration\n");
        assertThat(proxy.accepted().versions()).isEmpty();

        TestControlPlane back = later(new TestControlPlane(controlPlanePort));
        back.serve(TestControlPlane.resources(mesh(100, 0)));
        int port = port(proxy, APP_LISTENER);
        await().atMost(WAIT).until(() -> servedBy(port), "v1"::equals);
        await().atMost(WAIT).until(() -> proxy.accepted().version(XdsType.ROUTE).isPresent());
        assertThat(Files.readAllBytes(data.resolve("accepted-xds.pb"))).as("replaced by what was accepted").hasSizeGreaterThan(200);
        assertThat(get(proxy.server().adminPort(), "/ready").status()).as("ready once its first configuration runs").isEqualTo(200);
    }

    @Test
    void reloadWithAChangedProxyDocumentReconnectsAsTheNewNode() throws Exception {
        controlPlane.serve(TestControlPlane.resources(mesh(100, 0)));
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, ONE_UPSTREAM);
        ConnectedProxy proxy = later(ConnectedProxy.start(List.of(file), null, new ConnectedProxy.Options(
                List.of(controlPlane.address()), dir.resolve("data"), new ProxyServer.Options(1, Duration.ofSeconds(5)))));
        int port = port(proxy, APP_LISTENER);
        await().atMost(WAIT).until(() -> servedBy(port), "v1"::equals);
        int requests = controlPlane.requests().size();
        assertThat(proxy.reload()).as("unchanged").isTrue();

        Files.writeString(file, TWO_UPSTREAMS);
        assertThat(proxy.reload()).isTrue();
        await().atMost(WAIT).until(() -> controlPlane.requests().stream().skip(requests)
                .anyMatch(r -> ProxyNodes.bootstrap(r.getNode()).orElseThrow().upstreams().size() == 2));
        assertThat(controlPlane.nodeIds()).as("the same process, the same node id").containsExactly(proxy.nodeId());
        assertThat(servedBy(port)).isEqualTo("v1");

        Files.writeString(file, TWO_UPSTREAMS.replace("admin: {port: 0}", "admin: {port: 1}"));
        assertThat(proxy.reload()).as("the admin port changes only on restart").isFalse();
        Files.writeString(file, "kind: Proxy\n");
        assertThat(proxy.reload()).as("a document that does not read").isFalse();
        assertThat(servedBy(port)).isEqualTo("v1");
    }
}
