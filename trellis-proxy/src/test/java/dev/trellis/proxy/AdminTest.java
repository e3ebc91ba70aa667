package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.testing.HttpEchoServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin port: readiness, the running config and Prometheus metrics. */
class AdminTest {
    static TestMesh mesh;
    static StandaloneProxy proxy;
    static HttpEchoServer app;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TestMesh();
        app = mesh.closeLater(new HttpEchoServer("app").start());
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: web, namespace: shop}
                spec:
                  workload: {service: web, labels: {app: web}}
                  upstreams: [{service: app, port: 80, bindPort: 0}]
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app, namespace: shop}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app, namespace: shop}
                spec:
                  hosts: [app]
                  http:
                  - name: teapot
                    match: [{uri: {prefix: /status/418}}]
                    route: [{destination: {host: app}}]
                  - name: rest
                    route: [{destination: {host: app}}]
                """.formatted(app.port()));
        proxy = mesh.start("web");
        port = TestMesh.port(proxy, "outbound|0|app.shop.svc.cluster.local:80");
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    private HttpResponse<String> admin(String path) throws Exception {
        return mesh.get(proxy.server().adminPort(), path);
    }

    @Test
    void readyWhileServing() throws Exception {
        HttpResponse<String> ready = admin("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("LIVE\n");
        assertThat(admin("/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void configDumpShowsListenersRoutesAndClusters() throws Exception {
        HttpResponse<String> dump = admin("/config_dump");
        assertThat(dump.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode json = new ObjectMapper().readTree(dump.body());
        assertThat(json.at("/bootstrap/meta/name").asText()).isEqualTo("web");
        JsonNode listener = json.at("/listeners/0");
        assertThat(listener.at("/address").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(listener.at("/routes/0/name").asText()).isEqualTo("teapot");
        assertThat(listener.at("/routes/1/destinations/0/cluster").asText()).isEqualTo("outbound|80||app.shop.svc.cluster.local");
        assertThat(json.at("/clusters/0/endpoints/0/address").asText()).isEqualTo("127.0.0.1:" + app.port());
        JsonNode routes = json.at("/xds/RDS/resources/0");
        assertThat(routes.at("/name").asText()).isEqualTo("app.shop.svc.cluster.local:80");
        assertThat(routes.at("/virtualHosts/0/routes/0/metadata/filterMetadata/trellis/config").asText())
                .as("each route names the document it came from").isEqualTo("VirtualService shop/app");
        assertThat(json.at("/xds/LDS/resources/0/filterChains/0/filters/0/typedConfig/@type").asText())
                .endsWith("HttpConnectionManager");
        assertThat(json.at("/xds/CDS/version").asText()).matches("[0-9a-f]{16}");
    }

    @Test
    void prometheusCountsRequestsByRouteAndCode() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(mesh.get(port, "/status/418").statusCode()).isEqualTo(418);
        }
        assertThat(mesh.get(port, "/ok").statusCode()).isEqualTo(200);
        String metrics = admin("/stats/prometheus").body();
        String labels = "reporter=\"source\",source_workload=\"web\",source_workload_namespace=\"shop\","
                + "destination_service=\"app.shop.svc.cluster.local\",destination_service_name=\"app\","
                + "destination_service_namespace=\"shop\"";
        assertThat(metrics)
                .contains("# TYPE istio_requests_total counter")
                .contains("istio_requests_total{" + labels + ",route_name=\"teapot\",upstream_cluster=\"outbound|80||app.shop.svc.cluster.local\",response_code=\"418\",response_flags=\"-\"} 3")
                .contains("istio_requests_total{" + labels + ",route_name=\"rest\",upstream_cluster=\"outbound|80||app.shop.svc.cluster.local\",response_code=\"200\",response_flags=\"-\"}")
                .contains("# TYPE istio_request_duration_milliseconds histogram")
                .containsPattern("istio_request_duration_milliseconds_bucket\\{" + java.util.regex.Pattern.quote(labels)
                        + ",route_name=\"teapot\",[^}]*le=\"\\+Inf\"\\} 3");
    }
}
