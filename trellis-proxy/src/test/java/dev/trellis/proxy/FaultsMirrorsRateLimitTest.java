package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpWire;
import dev.trellis.testing.KeepAliveClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fault injection, mirroring and the local rate limit as callers see them: aborts with HTTP and
 * gRPC statuses, delays, copies to a mirror that never slow the primary, and a token bucket that
 * answers 429 once empty.
 */
class FaultsMirrorsRateLimitTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    TestMesh mesh = new TestMesh();
    HttpEchoServer app;
    HttpEchoServer shadow;
    StandaloneProxy proxy;
    int port;

    void start(String rules) throws Exception {
        app = mesh.closeLater(new HttpEchoServer("app").start());
        shadow = mesh.closeLater(new HttpEchoServer("shadow").start());
        mesh.write("mesh.yaml", TestMesh.clientOf("app", app.port()) + """
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: shadow}
                spec:
                  hosts: [shadow]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                ---
                %s
                """.formatted(shadow.port(), rules));
        proxy = mesh.start("client");
        port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
    }

    @AfterEach
    void stop() {
        mesh.close();
    }

    static String route(String settings) {
        return """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app}
                spec:
                  hosts: [app]
                  http:
                  - match: [{uri: {prefix: /faulty}}]
                    route: [{destination: {host: app}}]
                %s
                  - route: [{destination: {host: app}}]
                """.formatted(settings.indent(4));
    }

    @Test
    void anAbortAnswersInsteadOfTheAppOnlyOnItsRoute() throws Exception {
        start(route("fault: {abort: {httpStatus: 418, percentage: {value: 100}}}"));
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            KeepAliveClient.Response aborted = client.get("/faulty");
            assertThat(aborted.status()).isEqualTo(418);
            assertThat(aborted.bodyText()).contains("fault filter abort");
            assertThat(client.get("/other").status()).isEqualTo(200);
        }
        assertThat(app.requestCount()).as("only the request off the faulty route reached the app").isEqualTo(1);
    }

    @Test
    void aGrpcAbortIsAGrpcStatus() throws Exception {
        start(route("fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}"));
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT)) {
            var response = client.get("/faulty", Map.of("content-type", "application/grpc"));
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("grpc-status")).isEqualTo("14");
        }
        assertThat(app.requestCount()).isZero();
    }

    @Test
    void aDelayHoldsTheRequestThenSendsIt() throws Exception {
        start(route("fault: {delay: {fixedDelay: 400ms, percentage: {value: 100}}}"));
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            long start = System.nanoTime();
            assertThat(client.get("/faulty").status()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(390));
        }
        assertThat(app.requestCount()).isEqualTo(1);
    }

    @Test
    void aHalfShareAbortsAboutHalf() throws Exception {
        start(route("fault: {abort: {httpStatus: 503, percentage: {value: 50}}}") + "\n---\n" + """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app}
                spec: {host: app}
                """);
        int aborted = 0;
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 400; i++) {
                aborted += client.get("/faulty").status() == 503 ? 1 : 0;
            }
        }
        assertThat(aborted).isBetween(140, 260);
    }

    @Test
    void mirroredCopiesReachTheMirrorWithAShadowHostAndItsSlownessNeverDelaysThePrimary() throws Exception {
        start(route("mirror: {host: shadow}\nmirrorPercentage: {value: 100}"));
        shadow.slowedBy(Duration.ofSeconds(5));
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                KeepAliveClient.Response response = client.get("/faulty");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("x-served-by")).isEqualTo("app");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            }
        }
        shadow.slowedBy(Duration.ZERO);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            client.get("/faulty/seen");
        }
        await().atMost(WAIT).until(() -> shadow.requestCount() >= 6);
        assertThat(app.requestCount()).isEqualTo(6);
    }

    @Test
    void theMirrorSeesTheShadowHost() throws Exception {
        start(route("mirror: {host: shadow}"));
        try (HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT)) {
            client.write("GET /faulty HTTP/1.1\r\nHost: app:80\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        await().atMost(WAIT).until(() -> shadow.requestCount() == 1);
        assertThat(shadow.lastHeaders().get("host")).isEqualTo("app-shadow:80");
        assertThat(app.lastHeaders().get("host")).isEqualTo("app:80");
    }

    @Test
    void theLocalRateLimitAnswers429OnceTheBucketIsEmpty() throws Exception {
        HttpEchoServer backend = mesh.closeLater(new HttpEchoServer("catalog").start());
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: catalog}
                spec:
                  workload: {service: catalog}
                  inbound: {port: 0, appPort: %d}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: LocalRateLimit
                metadata: {name: catalog}
                spec:
                  host: catalog
                  tokenBucket: {maxTokens: 3, tokensPerFill: 1, fillInterval: 1h}
                """.formatted(backend.port()));
        proxy = mesh.start("catalog");
        int inbound = TestMesh.port(proxy, "inbound|0");
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", inbound, WAIT)) {
            for (int i = 0; i < 3; i++) {
                assertThat(client.get("/").status()).isEqualTo(200);
            }
            KeepAliveClient.Response limited = client.get("/");
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.bodyText()).contains("local rate limited");
        }
        assertThat(backend.requestCount()).isEqualTo(3);
        assertThat(new ObjectMapper().readTree(mesh.get(proxy.server().adminPort(), "/config_dump").body()).toString())
                .contains("local_ratelimit");
    }
}
