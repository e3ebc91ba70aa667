package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.trellis.testing.HttpEchoServer;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Requests through a client sidecar, routed by Istio VirtualServices and DestinationRules. */
class HttpRoutingTest {
    static TestMesh mesh;
    static HttpEchoServer v1, v2, a, b, c;
    static int catalogPort, rrPort, stickyPort, missingPort, deadPort;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TestMesh();
        v1 = mesh.closeLater(new HttpEchoServer("catalog-v1").start());
        v2 = mesh.closeLater(new HttpEchoServer("catalog-v2").start());
        a = mesh.closeLater(new HttpEchoServer("a").start());
        b = mesh.closeLater(new HttpEchoServer("b").start());
        c = mesh.closeLater(new HttpEchoServer("c").start());
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  workload: {service: client}
                  upstreams:
                  - {service: catalog, port: 80, bindPort: 0}
                  - {service: rr, port: 80, bindPort: 0}
                  - {service: sticky, port: 80, bindPort: 0}
                  - {service: nowhere, port: 80, bindPort: 0}
                  - {service: dead, port: 80, bindPort: 0}
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v1}}
                  - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v2}}
                ---
                apiVersion: networking.istio.io/v1beta1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2, labels: {version: v2}}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - name: canary-header
                    match: [{headers: {x-canary: {exact: "yes"}}}]
                    route: [{destination: {host: catalog, subset: v2}}]
                  - name: legacy-path
                    match: [{uri: {prefix: /legacy/}}, {uri: {regex: "/old-[0-9]+"}}]
                    rewrite: {uri: /modern/}
                    headers:
                      request: {set: {x-routed-by: trellis}}
                      response: {add: {x-route: legacy}}
                    route: [{destination: {host: catalog, subset: v1}}]
                  - name: by-authority
                    match: [{authority: {exact: v2.example}}]
                    route: [{destination: {host: catalog, subset: v2}, headers: {response: {set: {x-dest: v2}}}}]
                  - name: delete-only
                    match: [{method: {exact: DELETE}}]
                    headers: {response: {set: {x-route: delete-only}}}
                    route: [{destination: {host: catalog, subset: v1}}]
                  - name: split
                    route:
                    - {destination: {host: catalog, subset: v1}, weight: 90}
                    - {destination: {host: catalog, subset: v2}, weight: 10}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: rr}
                spec:
                  hosts: [rr]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 127.0.0.1, ports: {http: %d}}
                  - {address: 127.0.0.1, ports: {http: %d}}
                  - {address: 127.0.0.1, ports: {http: %d}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: rr}
                spec:
                  host: rr
                  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: sticky}
                spec:
                  hosts: [sticky]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 127.0.0.1, ports: {http: %d}}
                  - {address: 127.0.0.1, ports: {http: %d}}
                  - {address: 127.0.0.1, ports: {http: %d}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: sticky}
                spec:
                  host: sticky
                  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: nowhere}
                spec:
                  hosts: [nowhere]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}, labels: {version: v9}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: nowhere}
                spec:
                  host: nowhere
                  subsets: [{name: v1, labels: {version: v1}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: nowhere}
                spec:
                  hosts: [nowhere]
                  http: [{route: [{destination: {host: nowhere, subset: v1}}]}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: dead}
                spec:
                  hosts: [dead]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(v1.port(), v2.port(), a.port(), b.port(), c.port(), a.port(), b.port(), c.port(),
                a.port(), TestMesh.closedPort()));
        StandaloneProxy proxy = mesh.start("client");
        catalogPort = TestMesh.port(proxy, TestMesh.outbound("catalog", 80));
        rrPort = TestMesh.port(proxy, TestMesh.outbound("rr", 80));
        stickyPort = TestMesh.port(proxy, TestMesh.outbound("sticky", 80));
        missingPort = TestMesh.port(proxy, TestMesh.outbound("nowhere", 80));
        deadPort = TestMesh.port(proxy, TestMesh.outbound("dead", 80));
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    @Test
    void splitsTrafficNinetyTen() throws Exception {
        Map<String, Integer> served = new HashMap<>();
        int total = 2000;
        for (int i = 0; i < total; i++) {
            HttpResponse<String> response = mesh.get(catalogPort, "/items/" + i);
            assertThat(response.statusCode()).isEqualTo(200);
            served.merge(response.headers().firstValue("x-served-by").orElseThrow(), 1, Integer::sum);
        }
        assertThat(100.0 * served.getOrDefault("catalog-v1", 0) / total).isCloseTo(90.0, within(3.0));
        assertThat(100.0 * served.getOrDefault("catalog-v2", 0) / total).isCloseTo(10.0, within(3.0));
    }

    @Test
    void routesByHeader() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(mesh.get(catalogPort, "/", "x-canary", "yes").headers().firstValue("x-served-by")).hasValue("catalog-v2");
        }
    }

    @Test
    void routesByPathPrefixAndRegexWithRewriteAndHeaders() throws Exception {
        HttpResponse<String> prefixed = mesh.get(catalogPort, "/legacy/books?page=2");
        assertThat(prefixed.headers().firstValue("x-served-by")).hasValue("catalog-v1");
        assertThat(prefixed.headers().firstValue("x-route")).hasValue("legacy");
        assertThat(prefixed.body()).contains("\"path\":\"/modern/books?page=2\"").contains("\"x-routed-by\":\"trellis\"");

        HttpResponse<String> regex = mesh.get(catalogPort, "/old-42?x=1");
        assertThat(regex.headers().firstValue("x-served-by")).hasValue("catalog-v1");
        assertThat(regex.body()).contains("\"path\":\"/modern/?x=1\"");

        // Paths that only the regex condition can turn away: no rule before legacy-path matches
        // them, and none after it rewrites. A regex matches the whole path, not a part of it.
        for (String path : List.of("/old-abc", "/old-42/more", "/x/old-42", "/old-")) {
            HttpResponse<String> notRegex = mesh.get(catalogPort, path);
            assertThat(notRegex.statusCode()).isEqualTo(200);
            assertThat(notRegex.headers().allValues("x-route")).as(path + " is not legacy-path's").doesNotContain("legacy");
            assertThat(notRegex.body()).contains("\"path\":\"" + path + "\"");
        }
    }

    @Test
    void routesByAuthorityAndMethod() throws Exception {
        HttpResponse<String> byHost = mesh.get(catalogPort, "/", "Host", "v2.example");
        assertThat(byHost.headers().firstValue("x-served-by")).hasValue("catalog-v2");
        assertThat(byHost.headers().firstValue("x-dest")).hasValue("v2");

        for (int i = 0; i < 20; i++) {
            HttpResponse<String> delete = send("DELETE", "/x");
            assertThat(delete.headers().firstValue("x-route")).hasValue("delete-only");
            assertThat(delete.headers().firstValue("x-served-by")).hasValue("catalog-v1");
            assertThat(delete.body()).contains("\"method\":\"DELETE\"");
        }
        for (String method : List.of("GET", "POST", "PUT")) {
            HttpResponse<String> other = send(method, "/x");
            assertThat(other.statusCode()).isEqualTo(200);
            assertThat(other.headers().allValues("x-route")).as(method + " is not delete-only's").doesNotContain("delete-only");
            assertThat(other.body()).contains("\"method\":\"" + method + "\"");
        }
    }

    private static HttpResponse<String> send(String method, String path) throws Exception {
        return mesh.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + catalogPort + path))
                        .method(method, java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void addsForwardingHeadersAndStripsHopByHop() throws Exception {
        HttpResponse<String> response = mesh.get(catalogPort, "/", "x-canary", "yes", "Connection", "keep-alive, x-secret",
                "x-secret", "hop", "keep-alive", "timeout=5", "x-request-id", "abc-123");
        assertThat(response.body())
                .contains("\"x-forwarded-for\":\"127.0.0.1\"")
                .contains("\"x-request-id\":\"abc-123\"")
                .doesNotContain("x-secret")
                .doesNotContain("\"keep-alive\"");
        assertThat(mesh.get(catalogPort, "/", "x-canary", "yes").body()).containsPattern(
                "\"x-request-id\":\"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\"");
    }

    @Test
    void roundRobinAlternatesExactly() throws Exception {
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            order.add(mesh.get(rrPort, "/").headers().firstValue("x-served-by").orElseThrow());
        }
        for (int i = 3; i < order.size(); i++) {
            assertThat(order.get(i)).isEqualTo(order.get(i - 3));
        }
        assertThat(order.subList(0, 3)).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void reusesUpstreamConnections() throws Exception {
        long before = a.connectionCount() + b.connectionCount() + c.connectionCount();
        for (int i = 0; i < 60; i++) {
            assertThat(mesh.get(rrPort, "/").statusCode()).isEqualTo(200);
        }
        long opened = a.connectionCount() + b.connectionCount() + c.connectionCount() - before;
        assertThat(opened).as("one connection per endpoint and event loop at most").isLessThanOrEqualTo(6);
    }

    @Test
    void consistentHashIsStickyPerKey() throws Exception {
        Map<String, String> first = new HashMap<>();
        for (int round = 0; round < 5; round++) {
            for (int user = 0; user < 40; user++) {
                String servedBy = mesh.get(stickyPort, "/", "x-user", "user-" + user).headers().firstValue("x-served-by").orElseThrow();
                assertThat(first.computeIfAbsent("user-" + user, k -> servedBy)).isEqualTo(servedBy);
            }
        }
        assertThat(first.values()).as("keys spread over the endpoints").contains("a", "b", "c");
    }

    @Test
    void answers503WithReasonWhenNoEndpointOrConnectFails() throws Exception {
        HttpResponse<String> noEndpoint = mesh.get(missingPort, "/");
        assertThat(noEndpoint.statusCode()).isEqualTo(503);
        assertThat(noEndpoint.body()).contains("no healthy upstream").contains("outbound|80|v1|nowhere.default.svc.cluster.local");

        HttpResponse<String> refused = mesh.get(deadPort, "/");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("upstream connect error").contains("outbound|80||dead.default.svc.cluster.local");
    }

    @Test
    void streamsLargeBodiesBothWays() throws Exception {
        byte[] upload = new byte[8 * 1024 * 1024];
        HttpResponse<String> response = mesh.http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + catalogPort + "/upload"))
                .header("x-canary", "yes")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(upload))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.body()).contains("\"bodyBytes\":" + upload.length);

        HttpResponse<String> chunked = mesh.http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + catalogPort + "/chunked"))
                .header("x-canary", "yes")
                .expectContinue(true)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(upload)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(chunked.body()).contains("\"transfer-encoding\":\"chunked\"").contains("\"bodyBytes\":" + upload.length);

        HttpResponse<byte[]> download = mesh.http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + catalogPort + "/bytes/5000000"))
                .header("x-canary", "yes").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.body()).hasSize(5_000_000);
    }
}
