package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.KeepAliveClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Config file changes apply while traffic flows, and bad changes are refused. */
class ReloadTest {
    TestMesh mesh;
    HttpEchoServer v1, v2;
    int port;
    Path file;

    @BeforeEach
    void start() throws Exception {
        mesh = new TestMesh();
        v1 = mesh.closeLater(new HttpEchoServer("v1").start());
        v2 = mesh.closeLater(new HttpEchoServer("v2").start());
        port = TestMesh.freePort();
        file = mesh.write("mesh.yaml", config(100, 0));
    }

    @AfterEach
    void stop() throws Exception {
        mesh.close();
    }

    private String config(int weightV1, int weightV2) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: app, port: 80, bindPort: %d}]
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
                """.formatted(port, v1.port(), v2.port(), weightV1, weightV2);
    }

    @Test
    void reloadUnderLoadFailsNoRequest() throws Exception {
        StandaloneProxy proxy = mesh.start("client");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger failures = new AtomicInteger();
        ConcurrentMap<String, AtomicInteger> served = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> loads = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (int c = 0; c < 4; c++) {
            loads.add(clients.submit(() -> {
                while (running.get() && System.nanoTime() < deadline) {
                    try {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                            failures.incrementAndGet();
                        } else {
                            served.computeIfAbsent(response.headers().firstValue("x-served-by").orElse("?"), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        try {
            for (int round = 0; round < 6; round++) {
                Thread.sleep(300);
                boolean toV2 = round % 2 == 0;
                mesh.write("mesh.yaml", toV2 ? config(0, 100) : config(100, 0));
                String expected = toV2 ? "v2" : "v1";
                await().atMost(Duration.ofSeconds(5)).until(() -> mesh.get(port, "/").headers().firstValue("x-served-by")
                        .orElse("").equals(expected));
                assertThat(proxy.reload()).as("an explicit reload (as on SIGHUP) applies too").isTrue();
            }
        } finally {
            running.set(false);
            for (Future<?> load : loads) {
                load.get();
            }
            clients.shutdownNow();
        }
        assertThat(failures.get()).isZero();
        assertThat(served.get("v1").get() + served.get("v2").get()).isGreaterThan(100);
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
        mesh.write("mesh.yaml", proxyDoc.formatted("db", port) + services);
        StandaloneProxy proxy = mesh.start("client");
        try (KeepAliveClient open = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            assertThat(open.get("/").header("x-served-by")).isEqualTo("v1");

            mesh.write("mesh.yaml", proxyDoc.formatted("db2", port) + services);
            assertThat(proxy.reload()).as("outbound|%d|db... becomes outbound|%d|db2... on the same port", port, port).isTrue();

            assertThat(proxy.server().ports()).isEqualTo(Map.of("outbound|" + port + "|db2.default.svc.cluster.local:80", port));
            assertThat(open.get("/").header("x-served-by")).as("an open connection sees the new config").isEqualTo("v2");
            assertThat(open.connectionCount()).isEqualTo(1);
            assertThat(mesh.get(port, "/").headers().firstValue("x-served-by")).hasValue("v2");
        }
    }

    @Test
    void invalidChangeIsRefusedAndRunningConfigStays() throws Exception {
        StandaloneProxy proxy = mesh.start("client");
        assertThat(mesh.get(port, "/").headers().firstValue("x-served-by")).hasValue("v1");

        mesh.write("mesh.yaml", config(100, 0).replace("weight: 100", "weight: 140"));
        assertThat(proxy.reload()).isFalse();
        Thread.sleep(2 * StandaloneProxy.WATCH_INTERVAL_MILLIS);
        for (int i = 0; i < 20; i++) {
            assertThat(mesh.get(port, "/").headers().firstValue("x-served-by")).hasValue("v1");
        }

        int taken = TestMesh.freePort();
        try (java.net.ServerSocket squatter = new java.net.ServerSocket(taken, 50, java.net.InetAddress.getLoopbackAddress())) {
            mesh.write("mesh.yaml", config(0, 100).replace("bindPort: " + port + "}]",
                    "bindPort: " + port + "}, {service: app, port: 80, bindPort: " + taken + "}]"));
            assertThat(proxy.reload()).as("a listener that cannot bind refuses the whole change").isFalse();
            assertThat(mesh.get(port, "/").headers().firstValue("x-served-by")).hasValue("v1");
        }
    }
}
