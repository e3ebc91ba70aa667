package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpLoad;
import dev.trellis.testing.HttpWire;
import dev.trellis.testing.KeepAliveClient;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Config file changes apply while traffic flows, and bad changes are refused. The load comes from
 * {@link HttpLoad}, which sends each request once and counts every failure (the JDK's client
 * would resend a request that met a closed connection and hide it), and requests are held at the
 * apps across each change, so that a change is made while requests are really in flight.
 */
class ReloadTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String APP = TestMesh.outbound("app", 80);
    static final String OTHER = TestMesh.outbound("other", 80);

    TestMesh mesh;
    HttpEchoServer v1, v2, v3;

    @BeforeEach
    void start() {
        mesh = new TestMesh();
        v1 = mesh.closeLater(new HttpEchoServer("v1").start());
        v2 = mesh.closeLater(new HttpEchoServer("v2").start());
        v3 = mesh.closeLater(new HttpEchoServer("v3").start());
    }

    @AfterEach
    void stop() {
        for (HttpEchoServer app : List.of(v1, v2, v3)) {
            app.releaseHeld();
        }
        mesh.close();
    }

    /** app in two subsets, v1 and v2, split by weight; listeners on port 0. */
    private String weighted(int weightV1, int weightV2) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: app, port: 80, bindPort: 0}]
                  admin: {port: 0}
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
                  - route:
                    - {destination: {host: app, subset: v1}, weight: %d}
                    - {destination: {host: app, subset: v2}, weight: %d}
                """.formatted(v1.port(), v2.port(), weightV1, weightV2);
    }

    /**
     * app with these endpoints and, when {@code withOther}, a second upstream, other, served by
     * v3: its own listener, route configuration and cluster.
     */
    private String topology(List<HttpEchoServer> appEndpoints, boolean withOther) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams:
                  - {service: app, port: 80, bindPort: 0}
                %s  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                %s---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: other}
                spec:
                  hosts: [other]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(withOther ? "  - {service: other, port: 80, bindPort: 0}\n" : "",
                appEndpoints.stream().map(e -> "  - {address: 127.0.0.1, ports: {http: " + e.port() + "}}\n")
                        .collect(Collectors.joining()),
                v3.port());
    }

    private static String servedBy(int port) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            return client.get("/").header("x-served-by");
        }
    }

    /** A request to {@code /hold}, sent on a connection of its own; once {@code app} holds it, it is in flight. */
    private static HttpWire hold(int port, HttpEchoServer app) throws IOException {
        int before = app.heldCount();
        HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT);
        client.write("GET /hold HTTP/1.1\r\nHost: app\r\n\r\n");
        await().atMost(WAIT).until(() -> app.heldCount() == before + 1);
        return client;
    }

    private static boolean accepts(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            return true;
        } catch (ConnectException refused) {
            return false;
        }
    }

    @Test
    void weightChangesUnderLoadFailNoRequestAndLetHeldRequestsFinish() throws Exception {
        mesh.write("mesh.yaml", weighted(100, 0));
        StandaloneProxy proxy = mesh.start("client");
        int port = TestMesh.port(proxy, APP);
        List<HttpWire> held = new ArrayList<>();
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 4)) {
            await().atMost(WAIT).until(() -> load.completed() > 20);
            for (int round = 0; round < 6; round++) {
                boolean toV2 = round % 2 == 0;
                held.add(hold(port, toV2 ? v1 : v2)); // in flight, on the subset the change takes traffic from
                mesh.write("mesh.yaml", toV2 ? weighted(0, 100) : weighted(100, 0));
                assertThat(proxy.reload()).as("an explicit reload (as on SIGHUP) applies").isTrue();
                String expected = toV2 ? "v2" : "v1";
                await().atMost(WAIT).until(() -> servedBy(port), expected::equals);
                long before = load.completed();
                await().atMost(WAIT).until(() -> load.completed() > before + 20);
            }
            assertThat(v1.releaseHeld() + v2.releaseHeld()).isEqualTo(6);
            for (int round = 0; round < 6; round++) {
                HttpWire.Response response = held.get(round).read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("x-served-by")).as("held request %d", round).isEqualTo(round % 2 == 0 ? "v1" : "v2");
            }
            load.close();
            assertThat(load.failures()).as("requests that failed across the changes").isEmpty();
            assertThat(load.failureCount()).isZero();
            assertThat(load.servedBy()).containsOnlyKeys("v1", "v2");
        } finally {
            held.forEach(HttpWire::close);
        }
    }

    @Test
    void listenersClustersAndEndpointsComeAndGoUnderLoadWithoutAFailedRequest() throws Exception {
        mesh.write("mesh.yaml", topology(List.of(v1), false));
        StandaloneProxy proxy = mesh.start("client");
        int port = TestMesh.port(proxy, APP);
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 4)) {
            await().atMost(WAIT).until(() -> load.completed() > 20);

            // v1 leaves app and v2 joins, while a request is held at v1; listener other and its cluster come.
            HttpWire atV1 = hold(port, v1);
            mesh.write("mesh.yaml", topology(List.of(v2), true));
            assertThat(proxy.reload()).isTrue();
            assertThat(TestMesh.port(proxy, APP)).as("app's listener keeps its socket").isEqualTo(port);
            await().atMost(WAIT).until(() -> load.servedBy().getOrDefault("v2", 0L) > 20);
            int otherPort = TestMesh.port(proxy, OTHER);
            assertThat(servedBy(otherPort)).isEqualTo("v3");
            assertThat(v1.releaseHeld()).isEqualTo(1);
            HttpWire.Response fromV1 = atV1.read();
            assertThat(fromV1.status()).as("a request in flight at a removed endpoint").isEqualTo(200);
            assertThat(fromV1.header("x-served-by")).isEqualTo("v1");
            atV1.close();

            // Listener other and its cluster go, while a request is held behind them; v1 comes back to app.
            HttpWire atV3 = hold(otherPort, v3);
            mesh.write("mesh.yaml", topology(List.of(v1, v2), false));
            assertThat(proxy.reload()).isTrue();
            assertThat(proxy.server().ports()).containsOnlyKeys(APP);
            await().atMost(WAIT).until(() -> !accepts(otherPort));
            assertThat(v3.heldCount()).as("the removed listener's request is still in flight").isEqualTo(1);
            assertThat(v3.releaseHeld()).isEqualTo(1);
            HttpWire.Response fromV3 = atV3.read();
            assertThat(fromV3.status()).as("the removed listener drains its request").isEqualTo(200);
            assertThat(fromV3.header("x-served-by")).isEqualTo("v3");
            assertThat(fromV3.header("connection")).as("and then closes the connection").isEqualTo("close");
            assertThat(atV3.awaitPeerClosed()).isTrue();
            atV3.close();
            long v1Before = load.servedBy().getOrDefault("v1", 0L);
            await().atMost(WAIT).until(() -> load.servedBy().getOrDefault("v1", 0L) > v1Before + 20);

            load.close();
            assertThat(load.failures()).as("requests that failed across the changes").isEmpty();
            assertThat(load.failureCount()).isZero();
            assertThat(load.servedBy()).containsOnlyKeys("v1", "v2");
        }
    }

    @Test
    void anUpstreamRenamedOnTheSameBindPortTakesOverTheListenersSocket() throws Exception {
        String services = """
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: db}
                spec:
                  hosts: [db]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: db2}
                spec:
                  hosts: [db2]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(v1.port(), v2.port());
        String proxyDoc = """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: %s, port: 80, bindPort: %d}]
                  admin: {port: 0}
                """;
        mesh.write("mesh.yaml", proxyDoc.formatted("db", 0) + services);
        StandaloneProxy proxy = mesh.start("client");
        int port = TestMesh.port(proxy, TestMesh.outbound("db", 80)); // then named, as an operator would name it
        try (KeepAliveClient open = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            assertThat(open.get("/").header("x-served-by")).isEqualTo("v1");

            mesh.write("mesh.yaml", proxyDoc.formatted("db2", port) + services);
            assertThat(proxy.reload()).as("outbound|0|db... becomes outbound|%d|db2... on the port it had", port).isTrue();

            assertThat(proxy.server().ports()).isEqualTo(Map.of("outbound|" + port + "|db2.default.svc.cluster.local:80", port));
            assertThat(open.get("/").header("x-served-by")).as("an open connection sees the new config").isEqualTo("v2");
            assertThat(open.connectionCount()).isEqualTo(1);
            assertThat(servedBy(port)).isEqualTo("v2");
        }
    }

    @Test
    void invalidChangeIsRefusedAndRunningConfigStays() throws Exception {
        mesh.write("mesh.yaml", weighted(100, 0));
        StandaloneProxy proxy = mesh.start("client");
        int port = TestMesh.port(proxy, APP);
        assertThat(servedBy(port)).isEqualTo("v1");

        mesh.write("mesh.yaml", weighted(100, 0).replace("weight: 100", "weight: 140"));
        assertThat(proxy.reload()).isFalse();
        Thread.sleep(2 * StandaloneProxy.WATCH_INTERVAL_MILLIS);
        for (int i = 0; i < 20; i++) {
            assertThat(servedBy(port)).isEqualTo("v1");
        }

        try (ServerSocket squatter = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int taken = squatter.getLocalPort();
            mesh.write("mesh.yaml", weighted(0, 100).replace("bindPort: 0}]",
                    "bindPort: 0}, {service: app, port: 80, bindPort: " + taken + "}]"));
            assertThat(proxy.reload()).as("a listener that cannot bind refuses the whole change").isFalse();
            assertThat(servedBy(port)).isEqualTo("v1");
            assertThat(proxy.server().ports()).containsOnlyKeys(APP);
        }
    }
}
