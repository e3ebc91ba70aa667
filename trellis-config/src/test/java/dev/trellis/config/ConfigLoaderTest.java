package dev.trellis.config;

import static dev.trellis.config.Documents.problems;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.trellis.model.ConfigException;
import dev.trellis.model.DestinationRule;
import dev.trellis.model.HeaderOps;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancer.HashKey;
import dev.trellis.model.LoadBalancer.Simple.Algorithm;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Meta;
import dev.trellis.model.Origin;
import dev.trellis.model.Protocol;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.model.Rewrite;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.RoutePolicy;
import dev.trellis.model.Service;
import dev.trellis.model.ServiceEndpoint;
import dev.trellis.model.ServicePort;
import dev.trellis.model.StringMatch;
import dev.trellis.model.Subset;
import dev.trellis.model.TrafficPolicy;
import dev.trellis.model.VirtualService;
import dev.trellis.model.WeightedDestination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {
    private static final String CATALOG = "catalog.shop.svc.cluster.local";

    private static final String SHOP = """
            apiVersion: trellis.dev/v1alpha1
            kind: Proxy
            metadata: {name: web, namespace: shop}
            spec:
              workload: {serviceAccount: web-sa, labels: {app: web, version: v1}}
              inbound: {appPort: 8080}
              upstreams:
              - {service: catalog, port: 80, bindPort: 9090}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: catalog
              namespace: shop
              labels: {team: shop}
              annotations: {note: ignored}
            spec:
              hosts: [catalog]
              location: MESH_INTERNAL
              ports:
              - {number: 80, name: http, protocol: http, targetPort: 8080}
              resolution: STATIC
              endpoints:
              - address: 10.0.0.1
                labels: {app: catalog, version: v1}
              - address: 10.0.0.2
                ports: {http: 8081}
                labels: {app: catalog, version: v2}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: catalog, namespace: shop}
            spec:
              hosts: [catalog]
              http:
              - name: beta-testers
                match:
                - uri: {prefix: /api}
                  headers:
                    X-User-Group: {exact: beta}
                route:
                - destination: {host: catalog, subset: v2}
              - match:
                - uri: {regex: "/items/[0-9]+"}
                  method: {exact: GET}
                  ignoreUriCase: true
                rewrite: {uri: /v1/items}
                headers:
                  request: {set: {x-route: items}}
                  response: {remove: [Server]}
                route:
                - destination: {host: catalog, subset: v1, port: {number: 80}}
                  weight: 90
                - destination: {host: catalog.shop.svc.cluster.local, subset: v2}
                  weight: 10
                  headers:
                    response: {add: {x-canary: "true"}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: catalog, namespace: shop}
            spec:
              host: catalog
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  loadBalancer:
                    consistentHash:
                      httpCookie: {name: session, ttl: 1h}
            """;

    @Test
    void readsAProxyAndTheIstioResourcesOfItsUpstream() throws ConfigException {
        MeshConfig config = ConfigLoader.parse("shop.yaml", SHOP);

        assertThat(config.proxies()).containsExactly(new ProxyBootstrap(
                meta("Proxy", "web", 1),
                new ProxyBootstrap.Workload("web", "web-sa", Map.of("app", "web", "version", "v1")),
                Optional.of(new ProxyBootstrap.Inbound(15006, 8080, Protocol.HTTP)),
                List.of(new ProxyBootstrap.Upstream(CATALOG, 80, 9090)),
                new ProxyBootstrap.Admin(15000)));

        assertThat(config.services()).containsExactly(new Service(
                meta("ServiceEntry", "catalog", 2),
                List.of(CATALOG),
                List.of(new ServicePort(80, "http", Protocol.HTTP, OptionalInt.of(8080))),
                List.of(
                        new ServiceEndpoint("10.0.0.1", Map.of(), Map.of("app", "catalog", "version", "v1")),
                        new ServiceEndpoint("10.0.0.2", Map.of("http", 8081), Map.of("app", "catalog", "version", "v2")))));

        HttpRoute beta = new HttpRoute(
                "beta-testers",
                List.of(new RouteMatch(
                        Optional.of(new StringMatch.Prefix("/api")),
                        Optional.empty(),
                        Optional.empty(),
                        Map.of("x-user-group", new StringMatch.Exact("beta")),
                        false)),
                List.of(new WeightedDestination(destination("v2", OptionalInt.empty()), 100, HeaderOps.NONE, HeaderOps.NONE)),
                HeaderOps.NONE,
                HeaderOps.NONE,
                Optional.empty(),
                RoutePolicy.DEFAULT);
        HttpRoute split = new HttpRoute(
                "catalog.1",
                List.of(new RouteMatch(
                        Optional.of(new StringMatch.Regex("/items/[0-9]+")),
                        Optional.of(new StringMatch.Exact("GET")),
                        Optional.empty(),
                        Map.of(),
                        true)),
                List.of(
                        new WeightedDestination(destination("v1", OptionalInt.of(80)), 90, HeaderOps.NONE, HeaderOps.NONE),
                        new WeightedDestination(destination("v2", OptionalInt.empty()), 10, HeaderOps.NONE,
                                new HeaderOps(Map.of(), Map.of("x-canary", "true"), List.of()))),
                new HeaderOps(Map.of("x-route", "items"), Map.of(), List.of()),
                new HeaderOps(Map.of(), Map.of(), List.of("server")),
                Optional.of(new Rewrite(Optional.of("/v1/items"), Optional.empty())),
                RoutePolicy.DEFAULT);
        assertThat(config.virtualServices())
                .containsExactly(new VirtualService(meta("VirtualService", "catalog", 3), List.of(CATALOG), List.of(beta, split)));

        assertThat(config.destinationRules()).containsExactly(new DestinationRule(
                meta("DestinationRule", "catalog", 4),
                CATALOG,
                TrafficPolicy.of(LoadBalancerSettings.of(new LoadBalancer.Simple(Algorithm.ROUND_ROBIN))),
                List.of(
                        new Subset("v1", Map.of("version", "v1"), TrafficPolicy.NONE),
                        new Subset("v2", Map.of("version", "v2"), TrafficPolicy.of(LoadBalancerSettings.of(
                                new LoadBalancer.ConsistentHash(new HashKey.Cookie("session", "/", Duration.ofHours(1)))))))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"})
    void acceptsEveryIstioNetworkingVersion(String apiVersion) throws ConfigException {
        MeshConfig config = ConfigLoader.parse("shop.yaml", SHOP.replace("networking.istio.io/v1\n", apiVersion + "\n"));

        assertThat(config).isEqualTo(ConfigLoader.parse("shop.yaml", SHOP));
    }

    @Test
    void readsDirectoriesInNameOrderAndMultiDocumentFiles(@TempDir Path dir) throws Exception {
        Path configs = Files.createDirectory(dir.resolve("mesh"));
        write(configs.resolve("b-rules.yml"), rule("orders") + "---\n" + rule("catalog") + "---\n");
        write(configs.resolve("a-services.yaml"), "---\n" + serviceEntry("orders") + "---\n---\n" + serviceEntry("catalog"));
        write(configs.resolve("notes.txt"), "not: [yaml");
        Files.createDirectory(configs.resolve("nested"));
        write(configs.resolve("nested/ignored.yaml"), "not: [yaml");
        Path proxy = write(dir.resolve("proxy.yaml"), """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: orders}
                spec: {}
                """);

        MeshConfig config = ConfigLoader.load(List.of(configs, proxy));

        assertThat(config.metas().map(m -> m.ref() + " @ " + m.origin())).containsExactly(
                "Proxy default/orders @ " + proxy + " (document 1)",
                "ServiceEntry default/orders @ " + configs.resolve("a-services.yaml") + " (document 1)",
                "ServiceEntry default/catalog @ " + configs.resolve("a-services.yaml") + " (document 3)",
                "DestinationRule default/orders @ " + configs.resolve("b-rules.yml") + " (document 1)",
                "DestinationRule default/catalog @ " + configs.resolve("b-rules.yml") + " (document 2)");
    }

    @Test
    void anEmptyTextIsAnEmptyConfig() throws ConfigException {
        assertThat(ConfigLoader.parse("empty.yaml", "# nothing yet\n---\n")).isEqualTo(MeshConfig.EMPTY);
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("missing.yaml");

        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> ConfigLoader.load(List.of(missing)))
                .satisfies(e -> assertThat(e.problems()).containsExactly(missing
                        + ": no such file or directory (expected: a YAML file, or a directory of *.yaml and *.yml files)"));
    }

    @Test
    void collectsTheProblemsOfEveryFileAndDocumentAndAppliesNothing(@TempDir Path dir) throws IOException {
        Path good = write(dir.resolve("good.yaml"), serviceEntry("catalog"));
        Path bad = write(dir.resolve("bad.yaml"), rule("catalog").replace("host: catalog", "host: 42")
                + "---\n" + serviceEntry("orders").replace("number: 80", "number: 0"));

        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> ConfigLoader.load(List.of(good, bad, dir.resolve("gone.yaml"))))
                .satisfies(e -> assertThat(e.problems()).containsExactly(
                        bad + " (document 1) DestinationRule default/catalog: spec.host: 42 "
                                + "(expected: a host name such as catalog or api.example.com)",
                        bad + " (document 2) ServiceEntry default/orders: spec.ports[0].number: 0 (expected: 1..65535)",
                        dir.resolve("gone.yaml") + ": no such file or directory "
                                + "(expected: a YAML file, or a directory of *.yaml and *.yml files)"))
                .withMessageStartingWith("3 problems:\n  " + bad + " (document 1)");
    }

    @Test
    void rejectsTwoDocumentsForTheSameResourceNamingBoth() {
        assertThat(problems(serviceEntry("catalog") + "---\n" + rule("catalog") + "---\n" + serviceEntry("catalog")))
                .containsExactly("test.yaml (document 3) ServiceEntry default/catalog: metadata.name: \"catalog\" is "
                        + "already used by ServiceEntry default/catalog in test.yaml (document 1) "
                        + "(expected: a name unique per kind and namespace)");
    }

    @Test
    void rejectsTwoServiceEntriesOrDestinationRulesForOneHost() {
        String otherEntry = serviceEntry("catalog").replace("metadata: {name: catalog}", "metadata: {name: catalog-copy}");
        String otherRule = rule("catalog").replace("metadata: {name: catalog}", "metadata: {name: catalog-copy}");
        assertThat(problems(serviceEntry("catalog") + "---\n" + otherEntry + "---\n" + rule("catalog") + "---\n" + otherRule))
                .containsExactly(
                        "test.yaml (document 2) ServiceEntry default/catalog-copy: spec.hosts[0]: "
                                + "\"catalog.default.svc.cluster.local\" is already declared by ServiceEntry default/catalog "
                                + "in test.yaml (document 1) (expected: one ServiceEntry per host)",
                        "test.yaml (document 4) DestinationRule default/catalog-copy: spec.host: "
                                + "\"catalog.default.svc.cluster.local\" is already declared by DestinationRule default/catalog "
                                + "in test.yaml (document 3) (expected: one DestinationRule per host)");
    }

    @Test
    void rejectsTwoProxiesOfTheSameNameEvenInOtherNamespaces() {
        String proxy = """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: web, namespace: NS}
                spec: {}
                """;

        assertThat(problems(proxy.replace("NS", "shop") + "---\n" + proxy.replace("NS", "test")))
                .containsExactly("test.yaml (document 2) Proxy test/web: metadata.name: \"web\" is already used by "
                        + "Proxy shop/web in test.yaml (document 1) (expected: a Proxy name unique across namespaces)");
    }

    private static Meta meta(String kind, String name, int document) {
        return new Meta(kind, name, "shop", new Origin("shop.yaml", document));
    }

    private static RouteDestination destination(String subset, OptionalInt port) {
        return new RouteDestination(CATALOG, Optional.of(subset), port);
    }

    static String serviceEntry(String name) {
        return """
                apiVersion: networking.istio.io/v1beta1
                kind: ServiceEntry
                metadata: {name: NAME}
                spec:
                  hosts: [NAME]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: DNS
                """.replace("NAME", name);
    }

    static String rule(String name) {
        return """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: NAME}
                spec:
                  host: NAME
                """.replace("NAME", name);
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text);
    }
}
