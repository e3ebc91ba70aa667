package dev.trellis.controlplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controlplane.ControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API of a real control plane, over real sockets. */
class ApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CATALOG = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog, namespace: shop}
            spec:
              hosts: [catalog]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: 10.0.0.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: catalog, namespace: shop}
            spec:
              hosts: [catalog]
              http: [{route: [{destination: {host: catalog}}]}]
            """;

    @TempDir
    Path dir;
    ControlPlane controlPlane;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dir, "127.0.0.1", 0, "127.0.0.1", 0, Duration.ofSeconds(10)));
    }

    @AfterEach
    void stop() {
        controlPlane.close();
    }

    HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controlPlane.apiPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    @Test
    void appliedDocumentsCanBeListedReadAndDeleted() throws Exception {
        HttpResponse<String> applied = send("POST", "/api/v1/apply?source=catalog.yaml", "application/yaml", CATALOG);
        assertThat(applied.statusCode()).isEqualTo(200);
        assertThat(json(applied).at("/changes/0/action").asText()).isEqualTo("created");
        assertThat(json(applied).at("/changes/1/kind").asText()).isEqualTo("VirtualService");

        JsonNode list = json(send("GET", "/api/v1/vs?namespace=shop", null, null));
        assertThat(list.at("/items/0/metadata/name").asText()).isEqualTo("catalog");
        assertThat(json(send("GET", "/api/v1/virtualservices?namespace=other", null, null)).at("/items").size()).isZero();
        JsonNode one = json(send("GET", "/api/v1/ServiceEntry/shop/catalog", null, null));
        assertThat(one.at("/spec/endpoints/0/address").asText()).isEqualTo("10.0.0.1");

        assertThat(send("DELETE", "/api/v1/serviceentries/shop/catalog", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> gone = send("GET", "/api/v1/serviceentries/shop/catalog", null, null);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(json(gone).at("/error").asText()).isEqualTo("ServiceEntry shop/catalog not found");
    }

    @Test
    void anInvalidApplyAnswers400NamingFileDocumentAndFieldAndChangesNothing() throws Exception {
        send("POST", "/api/v1/apply?source=catalog.yaml", "application/yaml", CATALOG);
        HttpResponse<String> rejected = send("POST", "/api/v1/apply?source=bad.yaml", "application/yaml",
                CATALOG.replace("10.0.0.1", "10.0.0.2").replace("[{route: [{destination: {host: catalog}}]}]",
                        "[{route: [{destination: {host: catalog}, weight: 70}, {destination: {host: catalog}, weight: 70}]}]"));
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(json(rejected).at("/problems/0").asText())
                .isEqualTo("bad.yaml (document 2) VirtualService shop/catalog: spec.http[0].route: weights add up to 140 (expected: 100)");
        JsonNode kept = json(send("GET", "/api/v1/serviceentries/shop/catalog", null, null));
        assertThat(kept.at("/spec/endpoints/0/address").asText()).as("the valid document of a rejected apply is not applied").isEqualTo("10.0.0.1");
    }

    @Test
    void aDryRunChangesNothing() throws Exception {
        HttpResponse<String> dry = send("POST", "/api/v1/apply?dryRun=true", "application/yaml", CATALOG);
        assertThat(json(dry).at("/dryRun").asBoolean()).isTrue();
        assertThat(json(dry).at("/changes/0/action").asText()).isEqualTo("created");
        assertThat(json(send("GET", "/api/v1/serviceentries", null, null)).at("/items").size()).isZero();
    }

    @Test
    void filesUploadedTogetherApplyTogether() throws Exception {
        String boundary = "----trellis";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.yaml\"\r\n"
                + "Content-Type: application/yaml\r\n\r\n" + CATALOG + "\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.yaml\"\r\n"
                + "Content-Type: application/yaml\r\n\r\n" + "kind: Nonsense\n" + "\r\n--" + boundary + "--\r\n";
        HttpResponse<String> rejected = send("POST", "/api/v1/apply", "multipart/form-data; boundary=" + boundary, body);
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body()).contains("b.yaml (document 1)");
        assertThat(json(send("GET", "/api/v1/serviceentries", null, null)).at("/items").size()).isZero();
    }

    @Test
    void unknownPathsKindsAndMethodsAreNamed() throws Exception {
        assertThat(json(send("GET", "/api/v1/gateways", null, null)).at("/error").asText()).startsWith("no kind gateways (expected one of:");
        assertThat(send("PUT", "/api/v1/apply", "application/yaml", CATALOG).statusCode()).isEqualTo(405);
        assertThat(send("GET", "/nowhere", null, null).statusCode()).isEqualTo(404);
        assertThat(json(send("GET", "/api/v1/proxy-status", null, null)).at("/kind").asText()).isEqualTo("ProxyStatus");
        assertThat(json(send("GET", "/api/v1/proxies", null, null)).at("/kind").asText()).as("Proxy documents").isEqualTo("Proxy");
        assertThat(json(send("GET", "/api/v1/workloadentries", null, null)).at("/kind").asText()).isEqualTo("WorkloadEntry");
    }

    @Test
    void theConfigurationSurvivesARestart() throws Exception {
        send("POST", "/api/v1/apply", "application/yaml", CATALOG);
        controlPlane.close();
        start();
        assertThat(json(send("GET", "/api/v1/vs/shop/catalog", null, null)).at("/metadata/name").asText()).isEqualTo("catalog");
    }
}
