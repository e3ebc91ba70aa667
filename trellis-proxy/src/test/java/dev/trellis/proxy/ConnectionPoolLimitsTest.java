package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpLoad;
import dev.trellis.testing.HttpWire;
import dev.trellis.testing.KeepAliveClient;
import dev.trellis.testing.WebSocketEchoServer;
import dev.trellis.testing.WebSocketTestClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Circuit breaking from a DestinationRule's {@code connectionPool}: past the limits a request is
 * answered 503 at once, with the overflow counted, and the queue of pending requests never grows
 * past {@code http1MaxPendingRequests}; requests held within the limits complete.
 */
class ConnectionPoolLimitsTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String CLUSTER = "outbound|80||app.default.svc.cluster.local";

    TestMesh mesh = new TestMesh();
    HttpEchoServer app;
    StandaloneProxy proxy;
    int port;

    void start(String connectionPool) throws Exception {
        app = mesh.closeLater(new HttpEchoServer("app").start());
        mesh.write("mesh.yaml", TestMesh.clientOf("app", app.port()) + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app}
                spec:
                  hosts: [app]
                  http:
                  - route: [{destination: {host: app}}]
                    retries: {attempts: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app}
                spec:
                  host: app
                  trafficPolicy:
                    connectionPool:
                %s
                """.formatted(connectionPool.indent(6)));
        proxy = mesh.start("client");
        port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.releaseHeld();
        }
        mesh.close();
    }

    long metric(String name) throws Exception {
        return mesh.clusterCounter(proxy, CLUSTER, name);
    }

    /** The running state of one of the cluster's breaker limits, from {@code /config_dump}. */
    JsonNode breaker(String resource) throws Exception {
        return mesh.clusterDump(proxy, CLUSTER).path("circuitBreaker").path(resource);
    }

    /** Opens {@code count} connections each sending {@code GET /hold}. */
    List<HttpWire> hold(int count) throws Exception {
        List<HttpWire> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            HttpWire client = mesh.closeLater(HttpWire.connect("127.0.0.1", port, WAIT));
            client.write("GET /hold HTTP/1.1\r\nHost: app\r\n\r\n");
            clients.add(client);
        }
        return clients;
    }

    @Test
    void oneConnectionAndOnePendingRequestThenOverflowAnswers503AtOnce() throws Exception {
        start("""
                tcp: {maxConnections: 1}
                http: {http1MaxPendingRequests: 1}
                """);
        // One at a time: a request waiting for its connection to be made is pending too, as in Envoy.
        List<HttpWire> held = new ArrayList<>(hold(1));
        await().atMost(WAIT).until(() -> app.heldCount() == 1);
        held.addAll(hold(1));
        await().atMost(WAIT).until(() -> breaker("pending_requests").path("active").asLong() == 1);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                KeepAliveClient.Response response = client.get("/");
                assertThat(response.status()).isEqualTo(503);
                assertThat(response.bodyText()).contains("upstream overflow");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            }
        }
        assertThat(app.heldCount()).as("one connection: the pending request waits for it").isEqualTo(1);
        app.releaseHeld();
        assertThat(held.get(0).read().status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> app.heldCount() == 1);
        app.releaseHeld();
        assertThat(held.get(1).read().status()).as("the pending request had its turn").isEqualTo(200);
        assertThat(metric("upstream_rq_pending_overflow")).isEqualTo(5);
        assertThat(metric("upstream_cx_overflow")).isPositive();
        assertThat(mesh.get(proxy.server().adminPort(), "/stats/prometheus").body())
                .as("the overflows carry Envoy's UO flag").containsPattern("response_code=\"503\",response_flags=\"UO\"} 5\n");
    }

    @Test
    void maxRequestsBoundsRequestsInFlight() throws Exception {
        start("""
                http: {http2MaxRequests: 2}
                """);
        hold(2);
        await().atMost(WAIT).until(() -> app.heldCount() == 2);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            assertThat(client.get("/").status()).isEqualTo(503);
        }
        app.releaseHeld();
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            await().atMost(WAIT).until(() -> client.get("/").status() == 200);
        }
        assertThat(metric("upstream_rq_overflow")).isPositive();
    }

    @Test
    void maxRequestsPerConnectionClosesAConnectionAfterItsRequests() throws Exception {
        start("""
                http: {maxRequestsPerConnection: 2}
                """);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 6; i++) {
                assertThat(client.get("/").status()).isEqualTo(200);
            }
        }
        assertThat(app.connectionCount()).as("two requests per upstream connection").isEqualTo(3);
    }

    @Test
    void loadFarBeyondTheLimitsIsTurnedAwayAtOnceAndNothingPilesUp() throws Exception {
        start("""
                tcp: {maxConnections: 2}
                http: {http1MaxPendingRequests: 2}
                """);
        app.slowedBy(Duration.ofMillis(50));
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 32)) {
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                assertThat(breaker("pending_requests").path("active").asLong()).isLessThanOrEqualTo(2);
                assertThat(breaker("connections").path("active").asLong()).isLessThanOrEqualTo(2);
                Thread.sleep(50);
            }
            assertThat(load.completed()).as("the requests within the limits are served").isPositive();
            assertThat(load.failureCount()).as("the rest are turned away").isGreaterThan(load.completed());
        }
    }

    @Test
    void anIdleConnectionClosesAfterTheIdleTimeout() throws Exception {
        start("""
                http: {idleTimeout: 1s}
                """);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            assertThat(client.get("/").status()).isEqualTo(200);
            assertThat(client.get("/").status()).isEqualTo(200);
            assertThat(app.connectionCount()).as("the pooled connection serves the second").isEqualTo(1);
            Thread.sleep(2500);
            assertThat(client.get("/").status()).isEqualTo(200);
        }
        assertThat(app.connectionCount()).as("the idle one was closed; a new one was made").isEqualTo(2);
    }

    @Test
    void aWebSocketTunnelIsNoPooledConnectionAndOutlivesTheIdleTimeout() throws Exception {
        WebSocketEchoServer wsApp = mesh.closeLater(new WebSocketEchoServer("ws-app").start());
        mesh.write("mesh.yaml", TestMesh.clientOf("ws-app", wsApp.port()) + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ws-app}
                spec:
                  host: ws-app
                  trafficPolicy: {connectionPool: {http: {idleTimeout: 1s}}}
                """);
        proxy = mesh.start("client");
        int wsPort = TestMesh.port(proxy, TestMesh.outbound("ws-app", 80));
        try (WebSocketTestClient client = WebSocketTestClient.connect(URI.create("ws://127.0.0.1:" + wsPort + "/chat"), WAIT)) {
            assertThat(client.sendText("before")).isEqualTo("ws-app: before");
            Thread.sleep(2500); // twice the idle timeout, with nothing sent
            assertThat(client.sendText("after")).isEqualTo("ws-app: after");
        }
    }

    @Test
    void withoutLimitsManyHeldRequestsAllComplete() throws Exception {
        start("""
                tcp: {connectTimeout: 2s}
                """);
        List<HttpWire> held = hold(20);
        await().atMost(WAIT).until(() -> app.heldCount() == 20);
        app.releaseHeld();
        for (HttpWire client : held) {
            assertThat(client.read().status()).isEqualTo(200);
        }
    }

    @Test
    void aBurstOfConcurrentRequestsLeavesEveryConnectionPooledForTheNext() throws Exception {
        start("""
                tcp: {connectTimeout: 2s}
                """);
        int burst = 300; // on each of the proxy's two loops, more than a small idle cap would keep
        for (int round = 1; round <= 2; round++) {
            List<HttpWire> held = hold(burst);
            await("round " + round).atMost(WAIT).until(() -> app.heldCount() == burst);
            app.releaseHeld();
            for (HttpWire client : held) {
                assertThat(client.read().status()).isEqualTo(200);
            }
        }
        // Each loop reuses its own idle connections; clients spread over the loops alike in both
        // bursts, give or take a few.
        assertThat(app.connectionCount()).as("the second burst reuses the first one's connections")
                .isBetween((long) burst, burst + 10L);
    }
}
