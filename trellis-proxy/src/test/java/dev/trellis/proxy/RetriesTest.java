package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpLoad;
import dev.trellis.testing.HttpWire;
import dev.trellis.testing.KeepAliveClient;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Retries, budgets and timeouts as a caller meets them: a failing instance hidden by retries to
 * the other, Istio's default policy, what is never retried (a body past the replay bound, a
 * response already begun), budgets that cap a retry storm, per-try and route timeouts, and the
 * deadline a gRPC caller sets. Requests go through {@link KeepAliveClient} or raw sockets, which
 * report every failure: nothing here resends a request by itself.
 */
class RetriesTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String CLUSTER = "outbound|80||app.default.svc.cluster.local";

    TestMesh mesh = new TestMesh();
    HttpEchoServer good;
    HttpEchoServer bad;
    StandaloneProxy proxy;
    int port;

    @AfterEach
    void stop() {
        mesh.close();
    }

    /** Two instances of {@code app} and a client proxy, with {@code rules} (VirtualService and the rest) added. */
    void start(String rules) throws Exception {
        good = mesh.closeLater(new HttpEchoServer("good").start());
        bad = mesh.closeLater(new HttpEchoServer("bad").start());
        mesh.write("mesh.yaml", TestMesh.clientOf("app", good.port(), bad.port()) + "---\n"
                + (rules.contains("kind: DestinationRule") ? rules : rules + ROUND_ROBIN));
        proxy = mesh.start("client");
        port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
    }

    /**
     * Both instances take turns: the default, peak EWMA, would send every request of one client to
     * the instance it measured first, and these tests need both tried.
     */
    static final String ROUND_ROBIN = """
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: app}
            spec:
              host: app
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
            """;

    static String virtualService(String httpRoute) {
        return """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app}
                spec:
                  hosts: [app]
                  http:
                  - route: [{destination: {host: app}}]
                %s
                """.formatted(httpRoute.indent(4));
    }

    long metric(String name) throws Exception {
        return mesh.clusterCounter(proxy, CLUSTER, name);
    }

    static JsonNode json(KeepAliveClient.Response response) throws Exception {
        return new ObjectMapper().readTree(response.body());
    }

    @Test
    void retriesHideAnInstanceThatAlwaysFailsAndEachTryCarriesItsAttemptCount() throws Exception {
        start(virtualService("retries: {attempts: 3, retryOn: 5xx}"));
        bad.failing(503, 1);
        int attemptCountTwo = 0;
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 40; i++) {
                KeepAliveClient.Response response = client.get("/");
                assertThat(response.status()).as(response.bodyText()).isEqualTo(200);
                assertThat(response.header("x-served-by")).isEqualTo("good");
                String count = json(response).path("headers").path("x-envoy-attempt-count").asText();
                assertThat(count).as("a retry goes to the other host, so the second try succeeds").isIn("1", "2");
                if (count.equals("2")) {
                    attemptCountTwo++;
                }
            }
        }
        assertThat(bad.requestCount()).as("the bad instance was tried").isPositive();
        assertThat(attemptCountTwo).as("a retry tells the endpoint it is the second try").isEqualTo(bad.requestCount());
        assertThat(metric("upstream_rq_retry")).isEqualTo(bad.requestCount());
        assertThat(metric("upstream_rq_retry_success")).as("requests that succeeded on a retry").isEqualTo(attemptCountTwo);
    }

    @Test
    void istiosDefaultPolicyRetriesA503ButNotA500() throws Exception {
        start(virtualService(""));
        bad.failing(503, 1);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 20; i++) {
                assertThat(client.get("/").status()).isEqualTo(200);
            }
            bad.failing(500, 1);
            int failed = 0;
            for (int i = 0; i < 20; i++) {
                failed += client.get("/").status() == 500 ? 1 : 0;
            }
            assertThat(failed).as("500 is not among the default's conditions").isPositive();
        }
    }

    @Test
    void attemptsZeroTurnsRetriesOff() throws Exception {
        start(virtualService("retries: {attempts: 0}"));
        bad.failing(503, 1);
        int failed = 0;
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 20; i++) {
                failed += client.get("/").status() == 503 ? 1 : 0;
            }
        }
        assertThat(failed).isEqualTo(bad.requestCount()).isPositive();
        assertThat(metric("upstream_rq_retry")).isZero();
    }

    @Test
    void retriesAreUsedUpAndTheLastAnswerReturned() throws Exception {
        start(virtualService("retries: {attempts: 2, retryOn: 5xx}"));
        good.failing(502, 1);
        bad.failing(503, 1);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            KeepAliveClient.Response response = client.get("/");
            assertThat(response.status()).isIn(502, 503);
        }
        assertThat(good.requestCount() + bad.requestCount()).as("attempts: 2 allows 3 tries").isEqualTo(3);
        assertThat(metric("upstream_rq_retry_limit_exceeded")).isEqualTo(1);
    }

    @Test
    void aBodyPastTheReplayBoundIsNeverRetriedAndOneWithinItIsReplayedWhole() throws Exception {
        start(virtualService("retries: {attempts: 3, retryOn: 5xx}"));
        good.failing(503, 1);
        bad.failing(503, 1);
        int big = 100 * 1024;
        try (HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT)) {
            client.write("POST / HTTP/1.1\r\nHost: app\r\nContent-Length: " + big + "\r\n\r\n" + "x".repeat(big));
            assertThat(client.read().status()).isEqualTo(503);
        }
        assertThat(good.requestCount() + bad.requestCount()).as("a body over 64 KiB is sent once").isEqualTo(1);

        good.failing(0, 1);
        int small = 60 * 1024;
        for (int i = 0; i < 10; i++) {
            try (HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT)) {
                client.write("POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(small) + "\r\n" + "y".repeat(small) + "\r\n0\r\n\r\n");
                HttpWire.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).contains("\"bodyBytes\":" + small);
            }
        }
        assertThat(bad.requestCount()).as("some POSTs went to the failing instance first and were replayed").isGreaterThan(1);
    }

    @Test
    void nothingIsRetriedOnceResponseBytesReachedTheCaller() throws Exception {
        start(virtualService("retries: {attempts: 3, retryOn: \"5xx,reset\"}"));
        try (HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT)) {
            client.write("GET /reset-mid-body/2000 HTTP/1.1\r\nHost: app\r\n\r\n");
            UpstreamFaultsTest.assertCut(client, "a response cut after its head");
        }
        assertThat(good.requestCount() + bad.requestCount()).isEqualTo(1);
    }

    @Test
    void aResetBeforeTheHeadIsRetriedWhenTheRouteSaysReset() throws Exception {
        start(virtualService("retries: {attempts: 3, retryOn: \"reset,connect-failure\"}"));
        bad.close(); // its connections are refused: connect-failure
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 20; i++) {
                assertThat(client.get("/").status()).isEqualTo(200);
            }
        }
        assertThat(metric("upstream_rq_retry")).isPositive();
    }

    @Test
    void theConcurrentBudgetCapsRetriesInFlight() throws Exception {
        start(virtualService("retries: {attempts: 5, retryOn: 5xx}") + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app}
                spec:
                  host: app
                  trafficPolicy:
                    loadBalancer: {simple: ROUND_ROBIN}
                    retryBudget: {percent: 0, minRetryConcurrency: 1}
                """);
        good.failing(503, 1);
        bad.failing(503, 1);
        long requests;
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 8)) {
            await().atMost(WAIT).until(() -> load.failureCount() > 300);
            requests = load.failureCount();
        }
        long retries = metric("upstream_rq_retry");
        // With one retry in flight at a time over eight callers, most retries find no room.
        assertThat(metric("upstream_rq_retry_overflow")).isPositive();
        assertThat(retries).isPositive().isLessThan(5 * requests / 2);
    }

    @Test
    void aRetryStormIsCappedByTheRateBudget() throws Exception {
        start(virtualService("retries: {attempts: 10, retryOn: 5xx}") + """
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: RetryBudget
                metadata: {name: app}
                spec: {host: app, retryRatio: 0.2, minRetriesPerSecond: 1, ttl: 10s}
                """);
        good.failing(503, 1);
        bad.failing(503, 1);
        long started = System.nanoTime();
        int requests = 100;
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < requests; i++) {
                assertThat(client.get("/").status()).isEqualTo(503);
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long retries = good.requestCount() + bad.requestCount() - requests;
        // Linkerd's bound: ratio × requests, plus the minimum per second over the ttl.
        assertThat(retries).isPositive().isLessThanOrEqualTo((long) (0.2 * requests + 1 * Math.max(10, seconds)) + 1);
        assertThat(metric("upstream_rq_retry_overflow")).isPositive();
    }

    @Test
    void aCallerThatLeavesDuringTheBackOffGivesItsRetryBack() throws Exception {
        start(virtualService("retries: {attempts: 3, retryOn: 5xx, backoff: 3s}"));
        good.failing(503, 1);
        bad.failing(503, 1);
        try (HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT)) {
            client.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
            await().atMost(WAIT).until(() -> good.requestCount() + bad.requestCount() >= 1);
            await().atMost(WAIT).until(() -> retriesInFlight() == 1);
        }
        await("the retry's maxRetries permit given back").atMost(WAIT).until(() -> retriesInFlight() == 0);
        long tries = good.requestCount() + bad.requestCount();
        Thread.sleep(3500); // past any back-off left
        assertThat(good.requestCount() + bad.requestCount()).as("no retry after the caller left").isEqualTo(tries);
    }

    long retriesInFlight() throws Exception {
        return mesh.clusterDump(proxy, CLUSTER).path("circuitBreaker").path("retries").path("active").asLong();
    }

    @Test
    void aPerTryTimeoutMovesOnFromASlowInstance() throws Exception {
        start(virtualService("retries: {attempts: 2, perTryTimeout: 200ms, retryOn: \"5xx,reset\"}"));
        bad.slowedBy(Duration.ofSeconds(5));
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            for (int i = 0; i < 10; i++) {
                long start = System.nanoTime();
                KeepAliveClient.Response response = client.get("/");
                assertThat(response.status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            }
        }
        assertThat(metric("upstream_rq_per_try_timeout")).isPositive();
    }

    @Test
    void theRouteTimeoutAnswers504AndCountsIt() throws Exception {
        start(virtualService("timeout: 300ms"));
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
            long start = System.nanoTime();
            KeepAliveClient.Response response = client.get("/delay/5000");
            assertThat(response.status()).isEqualTo(504);
            assertThat(response.bodyText()).contains("upstream request timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(3));
            assertThat(client.get("/").status()).as("the connection serves on").isEqualTo(200);
        }
        assertThat(metric("upstream_rq_timeout")).isEqualTo(1);
        assertThat(mesh.get(proxy.server().adminPort(), "/stats/prometheus").body())
                .containsPattern("response_code=\"504\",response_flags=\"UT\"} 1\n");
    }

    @Test
    void aGrpcCallersDeadlineBoundsTheRequestAndReachesTheAppReducedByTheTimeSpent() throws Exception {
        start(virtualService("fault: {delay: {fixedDelay: 200ms, percentage: {value: 100}}}"));
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT)) {
            Http2TestClient.Response echoed = client.get("/", Map.of("content-type", "application/grpc", "grpc-timeout", "5S"));
            assertThat(echoed.status()).isEqualTo(200);
            long seen = new ObjectMapper().readTree(echoed.body()).path("headers").path("grpc-timeout").asText().isEmpty()
                    ? -1 : GrpcTimeouts.nanos(new ObjectMapper().readTree(echoed.body()).path("headers").path("grpc-timeout").asText());
            assertThat(seen).as("what the app sees is what the caller has left, 200 ms of delay less")
                    .isBetween(Duration.ofMillis(3000).toNanos(), Duration.ofMillis(4850).toNanos());

            long start = System.nanoTime();
            Http2TestClient.Response late = client.get("/delay/5000", Map.of("content-type", "application/grpc", "grpc-timeout", "500m"));
            assertThat(late.status()).isEqualTo(200);
            assertThat(late.header("grpc-status")).as("DEADLINE_EXCEEDED").isEqualTo("4");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(450), Duration.ofSeconds(3));
        }
    }

    /** Reads a grpc-timeout header value, for checking what reached the app. */
    static final class GrpcTimeouts {
        static long nanos(String value) {
            long amount = Long.parseLong(value.substring(0, value.length() - 1));
            return switch (value.charAt(value.length() - 1)) {
                case 'H' -> amount * 3_600_000_000_000L;
                case 'M' -> amount * 60_000_000_000L;
                case 'S' -> amount * 1_000_000_000L;
                case 'm' -> amount * 1_000_000L;
                case 'u' -> amount * 1_000L;
                default -> amount;
            };
        }
    }
}
