package dev.trellis.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.config.ConfigLoader;
import dev.trellis.model.MeshConfig;
import dev.trellis.xds.Consistency;
import dev.trellis.xds.PeakEwmaPolicy;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import org.junit.jupiter.api.Test;

class ProxySnapshotBuilderTest {
    static final String PROXY = """
            apiVersion: trellis.dev/v1alpha1
            kind: Proxy
            metadata: {name: web}
            spec:
              upstreams: [{service: catalog, port: 80, bindPort: 9090}]
            """;
    static final String CATALOG = """
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog}
            spec:
              hosts: [catalog]
              ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: admin, protocol: HTTP}]
              resolution: STATIC
              endpoints:
              - {address: 10.0.0.1, labels: {version: v1}}
              - {address: 10.0.0.2, labels: {version: v2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: catalog}
            spec:
              host: catalog
              subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
            """;

    static ProxySnapshotBuilder.Result build(String yaml) throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", yaml);
        return ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0));
    }

    static String split(int v1, int v2) {
        return """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - route:
                    - {destination: {host: catalog, subset: v1}, weight: %d}
                    - {destination: {host: catalog, subset: v2}, weight: %d}
                """.formatted(v1, v2);
    }

    @Test
    void theSnapshotIsConsistentAndScopedToTheProxy() throws Exception {
        XdsResources resources = build(PROXY + CATALOG + split(90, 10)).resources();
        assertThat(Consistency.problems(resources)).isEmpty();
        assertThat(resources.listeners()).containsOnlyKeys("outbound|9090|catalog.default.svc.cluster.local:80");
        assertThat(resources.routes()).containsOnlyKeys("catalog.default.svc.cluster.local:80");
        assertThat(resources.clusters()).containsOnlyKeys(
                "outbound|80||catalog.default.svc.cluster.local",
                "outbound|80|v1|catalog.default.svc.cluster.local",
                "outbound|80|v2|catalog.default.svc.cluster.local");
        assertThat(resources.endpoints()).containsOnlyKeys(resources.clusters().keySet());
        Cluster v2 = resources.clusters().get("outbound|80|v2|catalog.default.svc.cluster.local");
        assertThat(v2.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        assertThat(v2.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig().getName())
                .as("Trellis's default on an HTTP port").isEqualTo(PeakEwmaPolicy.NAME);
        assertThat(resources.endpoints().get(v2.getName()).getEndpoints(0).getLbEndpointsList())
                .singleElement()
                .satisfies(e -> assertThat(e.getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("10.0.0.2"));
    }

    @Test
    void shiftingWeightKeepsTheSameClustersAndChangesOnlyTheRoutes() throws Exception {
        XdsResources before = build(PROXY + CATALOG + split(90, 10)).resources();
        XdsResources after = build(PROXY + CATALOG + split(0, 100)).resources();
        assertThat(after.clusters().keySet()).isEqualTo(before.clusters().keySet());
        assertThat(after.version(XdsType.CLUSTER)).isEqualTo(before.version(XdsType.CLUSTER));
        assertThat(after.version(XdsType.ENDPOINT)).isEqualTo(before.version(XdsType.ENDPOINT));
        assertThat(after.version(XdsType.LISTENER)).isEqualTo(before.version(XdsType.LISTENER));
        assertThat(after.version(XdsType.ROUTE)).isNotEqualTo(before.version(XdsType.ROUTE));
        Route route = after.routes().values().iterator().next().getVirtualHosts(0).getRoutes(0);
        assertThat(route.getRoute().getCluster()).as("a weight of 0 is left out").isEqualTo("outbound|80|v2|catalog.default.svc.cluster.local");
    }

    @Test
    void versionsAreContentHashesThatDoNotDependOnTheBuild() throws Exception {
        String yaml = PROXY + CATALOG + split(50, 50);
        XdsResources one = build(yaml).resources();
        XdsResources two = build(yaml).resources();
        for (XdsType type : XdsType.values()) {
            assertThat(two.version(type)).isEqualTo(one.version(type)).matches("[0-9a-f]{16}");
        }
        assertThat(build(yaml.replace("10.0.0.2", "10.0.0.3")).resources().version(XdsType.ENDPOINT))
                .isNotEqualTo(one.version(XdsType.ENDPOINT));
    }

    @Test
    void anUndeclaredServiceStillGetsAListenerWithAnEmptyCluster() throws Exception {
        ProxySnapshotBuilder.Result result = build(PROXY);
        assertThat(result.problems()).containsExactly(
                "Proxy default/web in mesh.yaml (document 1): spec.upstreams[0].service: catalog.default.svc.cluster.local"
                        + " is not declared by any ServiceEntry");
        XdsResources resources = result.resources();
        assertThat(Consistency.problems(resources)).isEmpty();
        assertThat(resources.listeners()).containsOnlyKeys("outbound|9090|catalog.default.svc.cluster.local:80");
        assertThat(resources.endpoints().get("outbound|80||catalog.default.svc.cluster.local").getEndpointsCount()).isZero();
    }

    @Test
    void unresolvedReferencesAreNamedWithTheirDocument() throws Exception {
        ProxySnapshotBuilder.Result result = build(PROXY + CATALOG + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - name: bad-subset
                    route: [{destination: {host: catalog, subset: v9}}]
                  - name: bad-host
                    route: [{destination: {host: nowhere}}]
                  - name: bad-port
                    route: [{destination: {host: catalog, port: {number: 99}}}]
                """);
        String vs = "VirtualService default/catalog in mesh.yaml (document 4)";
        assertThat(result.problems()).containsExactly(
                vs + ": route bad-subset: destination catalog.default.svc.cluster.local subset v9 is not defined"
                        + " in DestinationRule default/catalog (subsets: [v1, v2])",
                vs + ": route bad-host: destination host nowhere.default.svc.cluster.local is not declared by any ServiceEntry",
                vs + ": route bad-port: destination catalog.default.svc.cluster.local needs a port.number, one of [80, 81]");
        assertThat(Consistency.problems(result.resources())).as("each still has a cluster to answer 503").isEmpty();
    }

    @Test
    void aPortTheServiceDoesNotHaveIsNamed() throws Exception {
        assertThat(build(PROXY.replace("port: 80,", "port: 82,") + CATALOG).problems()).containsExactly(
                "Proxy default/web in mesh.yaml (document 1): spec.upstreams[0].port: 82 (expected one of the ports of"
                        + " ServiceEntry default/catalog: [80, 81])");
    }

    @Test
    void consistencyFindsMissingRoutesClustersAndEndpoints() throws Exception {
        XdsResources resources = build(PROXY + CATALOG + split(90, 10)).resources();
        XdsResources broken = resources
                .with(XdsType.ROUTE, java.util.Map.of())
                .with(XdsType.ENDPOINT, java.util.Map.of());
        assertThat(Consistency.problems(broken))
                .anySatisfy(p -> assertThat(p).contains("names route configuration catalog.default.svc.cluster.local:80"))
                .anySatisfy(p -> assertThat(p).contains("EDS cluster outbound|80|v1|catalog.default.svc.cluster.local has no endpoints"));
        XdsResources noClusters = resources.with(XdsType.CLUSTER, java.util.Map.of()).with(XdsType.ENDPOINT, java.util.Map.of());
        assertThat(Consistency.problems(noClusters))
                .anySatisfy(p -> assertThat(p).contains("names cluster outbound|80|v1|catalog.default.svc.cluster.local"));
    }
}
