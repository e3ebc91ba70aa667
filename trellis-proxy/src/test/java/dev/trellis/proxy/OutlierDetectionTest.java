package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpLoad;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Outlier detection under load: an instance that answers 503 half the time is ejected within an
 * interval, comes back after its ejection time, and with retries the callers hardly notice; the
 * ejections show in metrics and in {@code /config_dump}.
 */
class OutlierDetectionTest {
    static final String CLUSTER = "outbound|80||app.default.svc.cluster.local";

    TestMesh mesh = new TestMesh();
    HttpEchoServer a;
    HttpEchoServer b;
    HttpEchoServer flaky;
    StandaloneProxy proxy;
    int port;

    @BeforeEach
    void start() throws Exception {
        a = mesh.closeLater(new HttpEchoServer("a").start());
        b = mesh.closeLater(new HttpEchoServer("b").start());
        flaky = mesh.closeLater(new HttpEchoServer("flaky").start());
        mesh.write("mesh.yaml", TestMesh.clientOf("app", a.port(), b.port(), flaky.port()) + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app}
                spec:
                  hosts: [app]
                  http:
                  - route: [{destination: {host: app}}]
                    retries: {attempts: 2, retryOn: 5xx}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app}
                spec:
                  host: app
                  trafficPolicy:
                    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 3s, maxEjectionPercent: 50}
                """);
        proxy = mesh.start("client");
        port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
    }

    @AfterEach
    void stop() {
        mesh.close();
    }

    long metric(String name) throws Exception {
        return mesh.clusterCounter(proxy, CLUSTER, name);
    }

    @Test
    void anInstanceFailingHalfItsRequestsIsEjectedThenReturnsWhileCallersSeeSuccess() throws Exception {
        flaky.failing(503, 2);
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 4)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> metric("outlier_detection_ejections_active") == 1);
            long ejectedAt = System.nanoTime();
            long servedBefore = flaky.requestCount();
            Thread.sleep(1000);
            assertThat(flaky.requestCount()).as("an ejected instance takes no traffic").isEqualTo(servedBefore);

            JsonNode cluster = mesh.clusterDump(proxy, CLUSTER);
            for (JsonNode endpoint : cluster.path("endpoints")) {
                boolean isFlaky = endpoint.path("address").asText().endsWith(":" + flaky.port());
                assertThat(endpoint.path("ejected").asBoolean()).as("%s", endpoint).isEqualTo(isFlaky);
            }
            await().atMost(Duration.ofSeconds(8)).until(() -> metric("outlier_detection_ejections_active") == 0
                    || flaky.requestCount() > servedBefore);
            // Back after baseEjectionTime (3 s), not at the next interval (1 s). Timed from when the test saw the
            // ejection, which trails it by a poll or more on a busy machine: the bound leaves a second for that.
            assertThat(Duration.ofNanos(System.nanoTime() - ejectedAt)).as("back after baseEjectionTime, not at the next interval")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(2000));
            long completed = load.completed();
            long failed = load.failureCount();
            assertThat(completed).isGreaterThan(200);
            assertThat(failed * 1000).as("callers see at least 99.9%% success: %s", load.failures()).isLessThanOrEqualTo(completed);
        }
        assertThat(metric("outlier_detection_ejections_enforced_total")).isPositive();
    }

    @Test
    void aHealthyClusterEjectsNothing() throws Exception {
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 4)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.completed() > 500);
            assertThat(load.failureCount()).isZero();
        }
        assertThat(metric("outlier_detection_ejections_enforced_total")).isZero();
        assertThat(load(a) + load(b) + load(flaky)).isPositive();
    }

    static long load(HttpEchoServer server) {
        return server.requestCount();
    }
}
