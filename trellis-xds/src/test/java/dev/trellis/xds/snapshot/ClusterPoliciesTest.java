package dev.trellis.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.MeshConfig;
import dev.trellis.xds.MeshMetadata;
import dev.trellis.xds.PeakEwmaPolicy;
import dev.trellis.xds.XdsJson;
import dev.trellis.xds.XdsResources;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each DestinationRule setting as the Envoy cluster fields Istio fills from it, for one proxy. */
class ClusterPoliciesTest {
    static final long UNLIMITED = 0xFFFF_FFFFL;
    static final String CATALOG = "outbound|80||catalog.default.svc.cluster.local";

    static String proxy(String locality) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: web}
                spec:
                  workload: {labels: {version: v1}, locality: %s}
                  upstreams:
                  - {service: catalog, port: 80, bindPort: 9090}
                  - {service: catalog, port: 8080, bindPort: 9091}
                  - {service: cache, port: 6379, bindPort: 9092}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  ports: [{number: 80, name: http, protocol: HTTP}, {number: 8080, name: admin, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 10.0.0.1, locality: us-west/zone1/rack1, labels: {version: v1}}
                  - {address: 10.0.0.2, locality: us-west/zone1/rack1, labels: {version: v2}}
                  - {address: 10.0.0.3, locality: us-west/zone2}
                  - {address: 10.0.0.4, locality: eu-west/zone1}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: cache}
                spec:
                  hosts: [cache]
                  ports: [{number: 6379, name: redis, protocol: TCP}]
                  resolution: STATIC
                  endpoints: [{address: 10.0.1.1}]
                """.formatted(locality);
    }

    static String rule(String spec) {
        return """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                """ + spec.indent(2);
    }

    static XdsResources build(String yaml) throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", yaml);
        ProxySnapshotBuilder.Result result = ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0));
        assertThat(result.problems()).isEmpty();
        return result.resources();
    }

    static Cluster catalog(XdsResources resources) {
        return resources.clusters().get(CATALOG);
    }

    static CircuitBreakers.Thresholds thresholds(Cluster cluster) {
        assertThat(cluster.getCircuitBreakers().getThresholdsList()).hasSize(1);
        return cluster.getCircuitBreakers().getThresholds(0);
    }

    static Duration seconds(long s) {
        return Duration.newBuilder().setSeconds(s).build();
    }

    /** "region/zone@priority x weight: addresses" for each locality of an assignment. */
    static List<String> localities(ClusterLoadAssignment assignment) {
        return assignment.getEndpointsList().stream().map(ClusterPoliciesTest::describe).toList();
    }

    static String describe(LocalityLbEndpoints l) {
        return l.getLocality().getRegion() + "/" + l.getLocality().getZone() + "@" + l.getPriority() + "x"
                + l.getLoadBalancingWeight().getValue() + ": " + l.getLbEndpointsList().stream()
                .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress()).toList();
    }

    @Test
    void withoutARuleAClusterGetsIstiosDefaultsAndPeakEwma() throws Exception {
        XdsResources resources = build(proxy("us-west/zone1/rack1"));
        Cluster catalog = catalog(resources);
        assertThat(catalog.getConnectTimeout()).isEqualTo(seconds(10));
        CircuitBreakers.Thresholds t = thresholds(catalog);
        for (int value : List.of(t.getMaxConnections().getValue(), t.getMaxPendingRequests().getValue(),
                t.getMaxRequests().getValue(), t.getMaxRetries().getValue())) {
            assertThat(Integer.toUnsignedLong(value)).isEqualTo(UNLIMITED);
        }
        assertThat(t.hasRetryBudget()).isFalse();
        assertThat(catalog.hasOutlierDetection()).isFalse();
        assertThat(catalog.hasCommonLbConfig()).isFalse();
        assertThat(catalog.getTypedExtensionProtocolOptionsMap()).as("HTTP/1.1, nothing to say").isEmpty();
        List<String> policies = catalog.getLoadBalancingPolicy().getPoliciesList().stream()
                .map(p -> p.getTypedExtensionConfig().getName()).toList();
        assertThat(policies).containsExactly(PeakEwmaPolicy.NAME, LoadBalancing.LEAST_REQUEST);
        TypedStruct peakEwma = catalog.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig().getTypedConfig()
                .unpack(TypedStruct.class);
        assertThat(peakEwma.getTypeUrl()).isEqualTo("type.googleapis.com/trellis.lb.v1.PeakEwma");
        assertThat(catalog.getLbPolicy()).as("unset: load_balancing_policy supersedes it").isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        assertThat(XdsJson.print(catalog)).as("as /config_dump shows it").doesNotContain("@error")
                .contains("type.googleapis.com/trellis.lb.v1.PeakEwma", "envoy.load_balancing_policies.least_request");

        Cluster cache = resources.clusters().get("outbound|6379||cache.default.svc.cluster.local");
        assertThat(cache.hasLoadBalancingPolicy()).isFalse();
        assertThat(cache.getLbPolicy()).as("a TCP port keeps Istio's default").isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);

        ClusterLoadAssignment endpoints = resources.endpoints().get(CATALOG);
        assertThat(endpoints.getPolicy().getOverprovisioningFactor().getValue()).isEqualTo(140);
        assertThat(localities(endpoints)).as("no outlier detection: no failover, one priority, weights by endpoint count")
                .containsExactly("us-west/zone1@0x2: [10.0.0.1, 10.0.0.2]", "us-west/zone2@0x1: [10.0.0.3]", "eu-west/zone1@0x1: [10.0.0.4]");
        assertThat(endpoints.getEndpoints(0).getLocality().getSubZone()).isEqualTo("rack1");
    }

    @Test
    void theConnectionPoolFillsTheCircuitBreakersAndConnectionOptions() throws Exception {
        Cluster catalog = catalog(build(proxy("us-west") + rule("""
                trafficPolicy:
                  connectionPool:
                    tcp: {maxConnections: 100, connectTimeout: 250ms, tcpKeepalive: {probes: 3, time: 2h, interval: 75s}}
                    http: {http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 50, maxRetries: 4,
                           idleTimeout: 90s}
                """)));
        CircuitBreakers.Thresholds t = thresholds(catalog);
        assertThat(List.of(t.getMaxConnections().getValue(), t.getMaxPendingRequests().getValue(), t.getMaxRequests().getValue(),
                t.getMaxRetries().getValue())).containsExactly(100, 10, 1000, 4);
        assertThat(catalog.getConnectTimeout()).isEqualTo(Duration.newBuilder().setNanos(250_000_000).build());
        var keepalive = catalog.getUpstreamConnectionOptions().getTcpKeepalive();
        assertThat(List.of(keepalive.getKeepaliveProbes().getValue(), keepalive.getKeepaliveTime().getValue(),
                keepalive.getKeepaliveInterval().getValue())).containsExactly(3, 7200, 75);
        HttpProtocolOptions options = catalog.getTypedExtensionProtocolOptionsOrThrow(ConnectionPools.HTTP_PROTOCOL_OPTIONS)
                .unpack(HttpProtocolOptions.class);
        assertThat(options.getCommonHttpProtocolOptions().getIdleTimeout()).isEqualTo(seconds(90));
        assertThat(options.getCommonHttpProtocolOptions().getMaxRequestsPerConnection().getValue()).isEqualTo(50);
        assertThat(options.getExplicitHttpConfig().hasHttpProtocolOptions()).as("HTTP/1.1, said outright as Envoy requires").isTrue();
    }

    @Test
    void h2UpgradeMakesAnHttpPortSpeakHttp2() throws Exception {
        Cluster catalog = catalog(build(proxy("us-west") + rule("trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}")));
        HttpProtocolOptions options = catalog.getTypedExtensionProtocolOptionsOrThrow(ConnectionPools.HTTP_PROTOCOL_OPTIONS)
                .unpack(HttpProtocolOptions.class);
        assertThat(options.getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
        assertThat(options.hasCommonHttpProtocolOptions()).isFalse();
        assertThat(catalog(build(proxy("us-west") + rule("trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE}}}")))
                .getTypedExtensionProtocolOptionsMap()).isEmpty();
    }

    @Test
    void outlierDetectionIsFilledExactlyAsIstioFillsIt() throws Exception {
        Cluster set = catalog(build(proxy("us-west") + rule("""
                trafficPolicy:
                  outlierDetection: {consecutive5xxErrors: 7, consecutiveGatewayErrors: 0, interval: 5s, baseEjectionTime: 1m,
                                     maxEjectionPercent: 50, minHealthPercent: 25,
                                     splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2}
                """)));
        assertThat(set.getOutlierDetection()).isEqualTo(OutlierDetection.newBuilder()
                .setEnforcingSuccessRate(uint(0))
                .setConsecutive5Xx(uint(7)).setEnforcingConsecutive5Xx(uint(100))
                .setConsecutiveGatewayFailure(uint(0)).setEnforcingConsecutiveGatewayFailure(uint(0))
                .setInterval(seconds(5)).setBaseEjectionTime(seconds(60)).setMaxEjectionPercent(uint(50))
                .setSplitExternalLocalOriginErrors(true)
                .setConsecutiveLocalOriginFailure(uint(2)).setEnforcingConsecutiveLocalOriginFailure(uint(100))
                .setEnforcingLocalOriginSuccessRate(uint(0))
                .build());
        assertThat(set.getCommonLbConfig().getHealthyPanicThreshold().getValue()).isEqualTo(25);

        Cluster off = catalog(build(proxy("us-west") + rule(
                "trafficPolicy: {outlierDetection: {consecutive5xxErrors: 0, consecutiveGatewayErrors: 4}}")));
        assertThat(off.getOutlierDetection()).as("0 given: not enforced").isEqualTo(OutlierDetection.newBuilder()
                .setEnforcingSuccessRate(uint(0))
                .setConsecutive5Xx(uint(0)).setEnforcingConsecutive5Xx(uint(0))
                .setConsecutiveGatewayFailure(uint(4)).setEnforcingConsecutiveGatewayFailure(uint(100))
                .build());

        Cluster empty = catalog(build(proxy("us-west") + rule("trafficPolicy: {outlierDetection: {}}")));
        assertThat(empty.getOutlierDetection()).as("Envoy's defaults for the rest: 5 consecutive 5xx, 10 s, 30 s, 10%")
                .isEqualTo(OutlierDetection.newBuilder().setEnforcingSuccessRate(uint(0)).build());
        assertThat(empty.getCommonLbConfig().hasHealthyPanicThreshold()).as("set even at 0: Envoy's default is 50%").isTrue();
        assertThat(empty.getCommonLbConfig().getHealthyPanicThreshold().getValue()).isZero();
    }

    static com.google.protobuf.UInt32Value uint(int value) {
        return com.google.protobuf.UInt32Value.of(value);
    }

    @Test
    void retryBudgetsOfBothModelsReachTheCluster() throws Exception {
        Cluster istio = catalog(build(proxy("us-west") + rule("trafficPolicy: {retryBudget: {percent: 12.5, minRetryConcurrency: 7}}")));
        CircuitBreakers.Thresholds.RetryBudget budget = thresholds(istio).getRetryBudget();
        assertThat(budget.getBudgetPercent().getValue()).isEqualTo(12.5);
        assertThat(budget.getMinRetryConcurrency().getValue()).isEqualTo(7);
        assertThat(MeshMetadata.value(istio.getMetadata(), MeshMetadata.RETRY_BUDGET)).isEmpty();

        XdsResources linkerd = build(proxy("us-west") + """
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: RetryBudget
                metadata: {name: catalog}
                spec: {host: catalog, retryRatio: 0.5, minRetriesPerSecond: 3, ttl: 2.5s}
                """);
        for (String name : List.of(CATALOG, "outbound|8080||catalog.default.svc.cluster.local")) {
            Cluster cluster = linkerd.clusters().get(name);
            assertThat(thresholds(cluster).hasRetryBudget()).isFalse();
            Struct fields = MeshMetadata.value(cluster.getMetadata(), MeshMetadata.RETRY_BUDGET).orElseThrow().getStructValue();
            assertThat(fields.getFieldsMap()).containsOnly(
                    java.util.Map.entry("retryRatio", Value.newBuilder().setNumberValue(0.5).build()),
                    java.util.Map.entry("minRetriesPerSecond", Value.newBuilder().setNumberValue(3).build()),
                    java.util.Map.entry("ttl", Value.newBuilder().setStringValue("2.500s").build()));
            assertThat(MeshMetadata.string(cluster.getMetadata(), MeshMetadata.SERVICE)).contains("catalog.default.svc.cluster.local");
        }
    }

    @Test
    void aWarmupSlowsTheStartOfRoundRobinAndLeastRequest() throws Exception {
        Cluster roundRobin = catalog(build(proxy("us-west") + rule(
                "trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 1m, minimumPercent: 25, aggression: 2.5}}}")));
        assertThat(roundRobin.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        Cluster.SlowStartConfig slowStart = roundRobin.getRoundRobinLbConfig().getSlowStartConfig();
        assertThat(slowStart.getSlowStartWindow()).isEqualTo(seconds(60));
        assertThat(slowStart.getAggression().getDefaultValue()).isEqualTo(2.5);
        assertThat(slowStart.getAggression().getRuntimeKey()).isNotEmpty();
        assertThat(slowStart.getMinWeightPercent().getValue()).isEqualTo(25);

        Cluster byDefault = catalog(build(proxy("us-west") + rule("trafficPolicy: {loadBalancer: {warmupDurationSecs: 30s}}")));
        assertThat(byDefault.hasLoadBalancingPolicy()).as("peak EWMA has no warm-up: Istio's default takes it").isFalse();
        assertThat(byDefault.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
        assertThat(byDefault.getLeastRequestLbConfig().getSlowStartConfig().getSlowStartWindow()).isEqualTo(seconds(30));
        assertThat(byDefault.getLeastRequestLbConfig().getSlowStartConfig().getMinWeightPercent().getValue()).isEqualTo(10);
    }

    @Test
    void aQueryParameterHashKeyIsTheRoutesHashPolicy() throws Exception {
        XdsResources resources = build(proxy("us-west") + rule("trafficPolicy: {loadBalancer: {consistentHash: {httpQueryParameterName: user}}}"));
        assertThat(catalog(resources).getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
        RouteAction action = resources.routes().get("catalog.default.svc.cluster.local:80").getVirtualHosts(0).getRoutes(0).getRoute();
        assertThat(action.getHashPolicyList()).singleElement().satisfies(p -> {
            assertThat(p.getQueryParameter().getName()).isEqualTo("user");
            assertThat(p.getTerminal()).isTrue();
        });
    }

    @Test
    void eachProxyGetsItsEndpointsRankedFromItsOwnLocality() throws Exception {
        String failover = rule("""
                trafficPolicy:
                  outlierDetection: {consecutive5xxErrors: 3}
                """);
        assertThat(localities(build(proxy("us-west/zone1/rack1") + failover).endpoints().get(CATALOG))).containsExactly(
                "us-west/zone1@0x2: [10.0.0.1, 10.0.0.2]", "us-west/zone2@1x1: [10.0.0.3]", "eu-west/zone1@2x1: [10.0.0.4]");
        assertThat(localities(build(proxy("eu-west/zone1") + failover).endpoints().get(CATALOG))).containsExactly(
                "us-west/zone1@1x2: [10.0.0.1, 10.0.0.2]", "us-west/zone2@1x1: [10.0.0.3]", "eu-west/zone1@0x1: [10.0.0.4]");
        assertThat(catalog(build(proxy("us-west") + failover)).getCommonLbConfig().hasLocalityWeightedLbConfig())
                .as("the default order alone weighs no locality, as in Istio").isFalse();
    }

    @Test
    void failoverPriorityMatchesTheProxysLabels() throws Exception {
        XdsResources resources = build(proxy("us-west/zone1/rack1") + rule("""
                trafficPolicy:
                  outlierDetection: {}
                  loadBalancer: {localityLbSetting: {failoverPriority: [version]}}
                """));
        assertThat(localities(resources.endpoints().get(CATALOG))).containsExactly(
                "us-west/zone1@0x1: [10.0.0.1]", "us-west/zone1@1x1: [10.0.0.2]", "us-west/zone2@1x1: [10.0.0.3]",
                "eu-west/zone1@1x1: [10.0.0.4]");
        assertThat(catalog(resources).getCommonLbConfig().hasLocalityWeightedLbConfig()).isTrue();
    }

    @Test
    void distributeWeighsLocalitiesForEnvoyAndForItsLeastRequestFallback() throws Exception {
        XdsResources resources = build(proxy("us-west/zone1/rack1") + rule("""
                trafficPolicy:
                  loadBalancer:
                    localityLbSetting:
                      distribute: [{from: "us-west/*", to: {"us-west/*": 80, "eu-west/*": 20}}]
                """));
        assertThat(localities(resources.endpoints().get(CATALOG))).containsExactly(
                "us-west/zone1@0x54: [10.0.0.1, 10.0.0.2]", "us-west/zone2@0x27: [10.0.0.3]", "eu-west/zone1@0x20: [10.0.0.4]");
        Cluster catalog = catalog(resources);
        assertThat(catalog.getCommonLbConfig().hasLocalityWeightedLbConfig()).isTrue();
        LeastRequest fallback = catalog.getLoadBalancingPolicy().getPolicies(1).getTypedExtensionConfig().getTypedConfig()
                .unpack(LeastRequest.class);
        assertThat(fallback.getLocalityLbConfig().hasLocalityWeightedLbConfig()).isTrue();
    }

    @Test
    void aPortLevelSettingShapesTheClusterOfItsPortOnly() throws Exception {
        XdsResources resources = build(proxy("us-west") + rule("""
                trafficPolicy:
                  connectionPool: {tcp: {maxConnections: 5}}
                  portLevelSettings:
                  - port: {number: 8080}
                    loadBalancer: {simple: RANDOM}
                """));
        assertThat(thresholds(catalog(resources)).getMaxConnections().getValue()).isEqualTo(5);
        Cluster admin = resources.clusters().get("outbound|8080||catalog.default.svc.cluster.local");
        assertThat(admin.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
        assertThat(Integer.toUnsignedLong(thresholds(admin).getMaxConnections().getValue())).as("not inherited").isEqualTo(UNLIMITED);
    }
}
