package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpLoad;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Locality-aware balancing as a caller in one zone sees it: traffic stays in its zone while that
 * zone is healthy, fails over to the next locality when the zone's endpoint goes (outlier
 * detection ejects it), and comes back once the endpoint is back and its ejection time is over.
 */
class LocalityFailoverTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    TestMesh mesh = new TestMesh();

    @AfterEach
    void stop() {
        mesh.close();
    }

    @Test
    void trafficStaysInTheCallersZoneFailsOverWhenItsEndpointGoesAndReturns() throws Exception {
        HttpEchoServer local = new HttpEchoServer("zone-a").start();
        int localPort = local.port();
        HttpEchoServer remote = mesh.closeLater(new HttpEchoServer("zone-b").start());
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  workload: {service: client, locality: us-east/zone-a}
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
                  - {address: 127.0.0.1, ports: {http: %d}, locality: us-east/zone-a}
                  - {address: 127.0.0.1, ports: {http: %d}, locality: us-east/zone-b}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app}
                spec:
                  hosts: [app]
                  http:
                  - route: [{destination: {host: app}}]
                    retries: {attempts: 2, retryOn: "connect-failure,reset,5xx", retryRemoteLocalities: true}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app}
                spec:
                  host: app
                  trafficPolicy:
                    outlierDetection: {consecutiveGatewayErrors: 1, interval: 1s, baseEjectionTime: 2s}
                """.formatted(localPort, remote.port()));
        StandaloneProxy proxy = mesh.start("client");
        int port = TestMesh.port(proxy, TestMesh.outbound("app", 80));

        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 2)) {
            await().atMost(WAIT).until(() -> load.completed() > 200);
            assertThat(load.servedBy()).as("all in the caller's zone while it is healthy").containsOnlyKeys("zone-a");

            local.close();
            long remoteBefore = remote.requestCount();
            await().atMost(WAIT).until(() -> remote.requestCount() > remoteBefore + 200);
            assertThat(load.failureCount()).as("retries carry the requests in flight over: %s", load.failures()).isZero();
        }

        HttpEchoServer back = mesh.closeLater(new HttpEchoServer("zone-a", localPort).start());
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/", 2)) {
            await().atMost(WAIT).until(() -> back.requestCount() > 100);
            long remoteNow = remote.requestCount();
            Thread.sleep(500);
            assertThat(remote.requestCount() - remoteNow).as("back in the caller's zone").isLessThan(5);
            assertThat(load.failureCount()).isZero();
        }
        assertThat(mesh.get(proxy.server().adminPort(), "/stats/prometheus").body())
                .containsPattern("envoy_cluster_lb_locality_failover\\{cluster_name=\"outbound\\|80\\|\\|app.default.svc.cluster.local\"} [1-9]");
    }
}
