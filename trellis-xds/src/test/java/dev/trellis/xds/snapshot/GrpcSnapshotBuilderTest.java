package dev.trellis.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.util.Durations;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.Locality;
import dev.trellis.model.MeshConfig;
import dev.trellis.xds.Consistency;
import dev.trellis.xds.MeshMetadata;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a proxyless gRPC client is served: resource shapes, what reaches it and what is left out. */
class GrpcSnapshotBuilderTest {
    static final String HOST = "catalog.default.svc.cluster.local";
    static final String GRPC = HOST + ":50051";
    static final String CATALOG = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog}
            spec:
              hosts: [catalog]
              ports:
              - {number: 50051, name: grpc, protocol: GRPC}
              - {number: 8080, name: http, protocol: HTTP}
              - {number: 9000, name: db, protocol: TCP}
              resolution: STATIC
              endpoints:
              - {address: 10.0.0.1, ports: {grpc: 7001}, labels: {version: v1}}
              - {address: 10.0.0.2, ports: {grpc: 7002}, labels: {version: v2}}
            """;
    static final String RULE = """
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: catalog}
            spec:
              host: catalog
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}
            """;

    static GrpcSnapshotBuilder.Result build(String yaml) throws Exception {
        return GrpcSnapshotBuilder.build(ConfigLoader.parse("mesh.yaml", yaml));
    }

    static String cluster(String subset) {
        return "outbound|50051|" + subset + "|" + HOST;
    }

    static String virtualService(String http) {
        return """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                """ + http.indent(2);
    }

    static String split(int v1, int v2) {
        return virtualService("""
                - name: split
                  route:
                  - {destination: {host: catalog, subset: v1}, weight: %d}
                  - {destination: {host: catalog, subset: v2}, weight: %d}
                """.formatted(v1, v2));
    }

    static List<Route> routes(XdsResources resources, String name) {
        return resources.routes().get(name).getVirtualHostsList().stream().flatMap(h -> h.getRoutesList().stream()).toList();
    }

    @Test
    void servesEveryHttpPortOfEveryHostByTheTargetsAuthority() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE);
        XdsResources resources = result.resources();
        assertThat(result.problems()).isEmpty();
        assertThat(result.ignored()).isEmpty();
        assertThat(Consistency.problems(resources)).isEmpty();
        assertThat(resources.listeners()).as("the TCP port is left out").containsOnlyKeys(GRPC, HOST + ":8080");
        assertThat(resources.routes()).containsOnlyKeys(GRPC, HOST + ":8080");
        assertThat(resources.clusters()).containsOnlyKeys(
                cluster(""), cluster("v1"), cluster("v2"),
                "outbound|8080||" + HOST, "outbound|8080|v1|" + HOST, "outbound|8080|v2|" + HOST);
        assertThat(resources.endpoints()).containsOnlyKeys(resources.clusters().keySet());
        assertThat(routes(resources, GRPC)).singleElement().satisfies(route -> {
            assertThat(route.getMatch().getPrefix()).isEqualTo("/");
            assertThat(route.getRoute().getCluster()).isEqualTo(cluster(""));
        });
    }

    @Test
    void theListenerIsAnApiListenerWhoseRoutesComeOverAdsThroughTheRouterAlone() throws Exception {
        Listener listener = build(CATALOG).resources().listeners().get(GRPC);
        assertThat(listener.getName()).isEqualTo(GRPC);
        assertThat(listener.hasAddress()).isFalse();
        assertThat(listener.getFilterChainsList()).isEmpty();
        HttpConnectionManager hcm = listener.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
        // The whole connection manager: anything more (use_remote_address, xff_num_trusted_hops, a
        // filter gRPC does not know) gRPC ignores at best and NACKs at worst.
        assertThat(hcm).isEqualTo(HttpConnectionManager.newBuilder()
                .setRds(Rds.newBuilder()
                        .setConfigSource(ConfigSource.newBuilder()
                                .setAds(AggregatedConfigSource.getDefaultInstance())
                                .setResourceApiVersion(ApiVersion.V3))
                        .setRouteConfigName(GRPC))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.router")
                        .setTypedConfig(Any.pack(Router.getDefaultInstance())))
                .build());
        assertThat(hcm.getHttpFilters(0).getTypedConfig().getTypeUrl())
                .isEqualTo("type.googleapis.com/envoy.extensions.filters.http.router.v3.Router");
    }

    @Test
    void theVirtualHostAnswersToTheAuthorityTheHostAndItsShortForms() throws Exception {
        VirtualHost host = build(CATALOG).resources().routes().get(GRPC).getVirtualHosts(0);
        assertThat(host.getDomainsList()).containsExactly(
                GRPC, "catalog.default.svc:50051", "catalog.default:50051",
                HOST, "catalog.default.svc", "catalog.default");
        assertThat(GrpcRoutes.domains("api.example.com", 443)).containsExactly("api.example.com:443", "api.example.com");
    }

    @Test
    void everyRouteSaysWhetherItIsCaseSensitive() throws Exception {
        XdsResources resources = build(CATALOG + RULE + virtualService("""
                - name: exact
                  match: [{uri: {exact: /catalog.Catalog/Get}}]
                  route: [{destination: {host: catalog, subset: v1}}]
                - name: any-case
                  match: [{uri: {prefix: /Catalog.catalog/}, ignoreUriCase: true}]
                  route: [{destination: {host: catalog, subset: v1}}]
                - name: regex
                  match: [{uri: {regex: "/catalog\\\\.Catalog/(Get|List)"}}]
                  route: [{destination: {host: catalog, subset: v2}}]
                - name: rest
                  route: [{destination: {host: catalog}}]
                """)).resources();
        List<Route> routes = routes(resources, GRPC);
        assertThat(routes).extracting(Route::getName).containsExactly("exact", "any-case", "regex", "rest");
        assertThat(routes).allSatisfy(route -> assertThat(route.getMatch().hasCaseSensitive()).isTrue());
        assertThat(routes).extracting(route -> route.getMatch().getCaseSensitive().getValue()).containsExactly(true, false, true, true);
        assertThat(routes.get(0).getMatch().getPath()).isEqualTo("/catalog.Catalog/Get");
        assertThat(routes.get(2).getMatch().getSafeRegex().getRegex()).isEqualTo("/catalog\\.Catalog/(Get|List)");
    }

    @Test
    void theServiceAndEachSubsetAreEdsClustersOverAds() throws Exception {
        XdsResources resources = build(CATALOG + RULE).resources();
        for (String subset : List.of("", "v1", "v2")) {
            Cluster cluster = resources.clusters().get(cluster(subset));
            assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
            assertThat(cluster.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
            assertThat(cluster.getTransportSocketMatchesList()).isEmpty();
            assertThat(cluster.hasLrsServer()).isFalse();
        }
        assertThat(resources.clusters().get(cluster("")).getLbPolicy()).as("Istio's default").isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
        assertThat(resources.clusters().get(cluster("v1")).getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
        assertThat(resources.clusters().get(cluster("v2")).getLbPolicy()).as("the subset's own").isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        assertThat(addresses(resources.endpoints().get(cluster("v1")))).containsExactly("10.0.0.1:7001");
        assertThat(addresses(resources.endpoints().get(cluster("v2")))).containsExactly("10.0.0.2:7002");
        assertThat(addresses(resources.endpoints().get(cluster("")))).containsExactly("10.0.0.1:7001", "10.0.0.2:7002");
    }

    @Test
    void everyLocalityHasAWeight() throws Exception {
        XdsResources resources = build(CATALOG + RULE).resources();
        List<LocalityLbEndpoints> localities = resources.endpoints().values().stream()
                .flatMap(assignment -> assignment.getEndpointsList().stream())
                .toList();
        assertThat(localities).isNotEmpty().allSatisfy(locality -> {
            assertThat(locality.hasLoadBalancingWeight()).isTrue();
            assertThat(locality.getLoadBalancingWeight().getValue()).isGreaterThanOrEqualTo(1);
        });
    }

    @Test
    void weightedRoutesNameTheSubsetClusters() throws Exception {
        Route split = routes(build(CATALOG + RULE + split(30, 70)).resources(), GRPC).get(0);
        assertThat(split.getRoute().getWeightedClusters().getClustersList())
                .extracting(WeightedCluster.ClusterWeight::getName, w -> w.getWeight().getValue())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(cluster("v1"), 30),
                        org.assertj.core.groups.Tuple.tuple(cluster("v2"), 70));
        XdsResources allToV2 = build(CATALOG + RULE + split(0, 100)).resources();
        assertThat(routes(allToV2, GRPC).get(0).getRoute().getCluster()).isEqualTo(cluster("v2"));
        assertThat(allToV2.clusters()).as("every subset is kept while no route names it").containsKeys(cluster("v1"), cluster(""));
    }

    @Test
    void oneHostNameIsALogicalDnsClusterThatGrpcResolvesItself() throws Exception {
        GrpcSnapshotBuilder.Result result = build("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: payments}
                spec:
                  hosts: [payments.example.com]
                  ports: [{number: 443, name: grpc, protocol: GRPC}]
                  resolution: DNS
                """);
        assertThat(result.problems()).isEmpty();
        Cluster cluster = result.resources().clusters().get("outbound|443||payments.example.com");
        assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
        assertThat(cluster.getLoadAssignment().getEndpointsList()).singleElement().satisfies(locality -> {
            assertThat(locality.getLoadBalancingWeight().getValue()).isEqualTo(1);
            assertThat(locality.getLbEndpointsList()).singleElement().satisfies(e -> {
                assertThat(e.getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("payments.example.com");
                assertThat(e.getEndpoint().getAddress().getSocketAddress().getPortValue()).isEqualTo(443);
            });
        });
        assertThat(result.resources().endpoints()).as("its endpoint travels inline").isEmpty();
        assertThat(Consistency.problems(result.resources())).isEmpty();
    }

    @Test
    void hostNamesGrpcCannotResolveAreLeftOutWithAProblem() throws Exception {
        GrpcSnapshotBuilder.Result result = build("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: payments}
                spec:
                  hosts: [payments.example.com]
                  ports: [{number: 443, name: grpc, protocol: GRPC}]
                  resolution: DNS
                  endpoints: [{address: a.payments.example.com}, {address: b.payments.example.com}, {address: 192.0.2.7}]
                """);
        String name = "outbound|443||payments.example.com";
        assertThat(result.problems()).containsExactly("ServiceEntry default/payments in mesh.yaml (document 1): cluster " + name
                + ": endpoints [a.payments.example.com, b.payments.example.com] are host names, and a gRPC client resolves"
                + " one host name per cluster (LOGICAL_DNS) and no host name beside IP addresses; they are left out of what"
                + " gRPC clients are served");
        assertThat(result.resources().clusters().get(name).getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        assertThat(addresses(result.resources().endpoints().get(name))).containsExactly("192.0.2.7:443");
        assertThat(Consistency.problems(result.resources())).isEmpty();
    }

    @Test
    void randomIsServedAsRoundRobin() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE.replace("  subsets:", "  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n  subsets:"));
        assertThat(result.resources().clusters().get(cluster("")).getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        assertThat(result.resources().clusters().get(cluster("v1")).getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        assertThat(result.resources().clusters().values()).extracting(Cluster::getLbPolicy).doesNotContain(Cluster.LbPolicy.RANDOM);
        assertThat(result.ignored()).containsExactly("DestinationRule default/catalog in mesh.yaml (document 2):"
                + " loadBalancer.simple RANDOM reaches gRPC clients as ROUND_ROBIN, since gRPC has no random balancer");
    }

    @Test
    void aHeaderHashReachesGrpcAndACookieHashDoesNot() throws Exception {
        String byHeader = RULE.replace("  subsets:", "  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}\n  subsets:");
        GrpcSnapshotBuilder.Result header = build(CATALOG + byHeader);
        assertThat(header.resources().clusters().get(cluster("")).getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
        assertThat(routes(header.resources(), GRPC).get(0).getRoute().getHashPolicyList()).singleElement()
                .satisfies(policy -> assertThat(policy.getHeader().getHeaderName()).isEqualTo("x-user"));
        assertThat(header.ignored()).isEmpty();

        String byCookie = RULE.replace("  subsets:",
                "  trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 0s}}}}\n  subsets:");
        GrpcSnapshotBuilder.Result cookie = build(CATALOG + byCookie);
        assertThat(cookie.resources().clusters().get(cluster("")).getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
        assertThat(routes(cookie.resources(), GRPC).get(0).getRoute().getHashPolicyList()).isEmpty();
        assertThat(cookie.ignored()).containsExactly("DestinationRule default/catalog in mesh.yaml (document 2):"
                + " consistentHash.httpCookie session does not reach gRPC clients; they hash each call at random");
    }

    @Test
    void headerChangesAndRewritesAreLeftOutAndListed() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE + virtualService("""
                - name: changed
                  headers:
                    request: {set: {x-from: mesh}}
                    response: {remove: [server]}
                  rewrite: {uri: /v2/, authority: catalog-v2}
                  route:
                  - destination: {host: catalog, subset: v1}
                    headers: {request: {add: {x-subset: v1}}}
                """));
        Route route = routes(result.resources(), GRPC).get(0);
        assertThat(route.getRequestHeadersToAddList()).isEmpty();
        assertThat(route.getResponseHeadersToRemoveList()).isEmpty();
        assertThat(route.getRoute().getPrefixRewrite()).isEmpty();
        assertThat(route.getRoute().hasRegexRewrite()).isFalse();
        assertThat(route.getRoute().hasHostRewriteLiteral()).isFalse();
        assertThat(route.getRoute().getCluster()).as("one destination, no weights needed").isEqualTo(cluster("v1"));
        String where = "VirtualService default/catalog in mesh.yaml (document 3): route changed: ";
        assertThat(result.ignored()).containsExactly(
                where + "request header changes do not reach gRPC clients",
                where + "response header changes do not reach gRPC clients",
                where + "rewrite.uri does not reach gRPC clients",
                where + "rewrite.authority does not reach gRPC clients");
        assertThat(result.problems()).isEmpty();
    }

    @Test
    void matchesGrpcCannotEvaluateAreLeftOutWithAProblem() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE + virtualService("""
                - name: by-authority
                  match: [{authority: {exact: catalog.internal}}]
                  route: [{destination: {host: catalog, subset: v1}}]
                - name: by-binary-header
                  match: [{headers: {trace-bin: {exact: AAEC}}}, {uri: {prefix: /catalog.Catalog/}}]
                  route: [{destination: {host: catalog, subset: v1}}]
                - name: by-get
                  match: [{method: {exact: GET}}]
                  route: [{destination: {host: catalog, subset: v1}}]
                - name: by-post
                  match: [{method: {exact: POST}, headers: {x-tenant: {prefix: acme}}}]
                  route: [{destination: {host: catalog, subset: v2}}]
                """));
        List<Route> routes = routes(result.resources(), GRPC);
        assertThat(routes).extracting(Route::getName).as("by-authority has no match left; no gRPC call is a GET")
                .containsExactly("by-binary-header", "by-post");
        assertThat(routes.get(0).getMatch().getPrefix()).isEqualTo("/catalog.Catalog/");
        assertThat(routes.get(0).getMatch().getHeadersList()).isEmpty();
        assertThat(routes.get(1).getMatch().getHeadersList()).as("a POST condition always holds for gRPC")
                .singleElement().satisfies(h -> {
                    assertThat(h.getName()).isEqualTo("x-tenant");
                    assertThat(h.getStringMatch().getPrefix()).isEqualTo("acme");
                });
        String vs = "VirtualService default/catalog in mesh.yaml (document 3): route ";
        assertThat(result.problems()).containsExactly(
                vs + "by-authority: match[0] matches the authority, which gRPC clients match only when they choose a"
                        + " virtual host; the match is left out of what gRPC clients are served",
                vs + "by-binary-header: match[0] matches the header trace-bin, which gRPC's header matchers never see"
                        + " (expected: lower-case letters, digits, '-', '_' and '.', not ending in -bin); the match is left"
                        + " out of what gRPC clients are served");
        assertThat(Consistency.problems(result.resources())).isEmpty();
    }

    @Test
    void unresolvedDestinationsGetAnEmptyClusterAndOneProblemForAllPorts() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE + virtualService("""
                - name: nowhere
                  route: [{destination: {host: catalog, subset: v9}}]
                """));
        assertThat(result.problems()).as("the same route on both HTTP ports, reported once").containsExactly(
                "VirtualService default/catalog in mesh.yaml (document 3): route nowhere: destination " + HOST
                        + " subset v9 is not defined in DestinationRule default/catalog (subsets: [v1, v2])");
        assertThat(result.resources().endpoints().get(cluster("v9")).getEndpointsCount()).isZero();
        assertThat(Consistency.problems(result.resources())).isEmpty();
    }

    @Test
    void onlyFieldsGrpcReadsAreSent() throws Exception {
        XdsResources resources = build(CATALOG
                + RULE.replace("  subsets:", "  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}\n  subsets:")
                + virtualService("""
                        - name: everything
                          match: [{uri: {prefix: /a}, ignoreUriCase: true, method: {prefix: PO}, headers: {x-a: {regex: "a.*"}}}]
                          headers: {request: {set: {x-from: mesh}}, response: {add: {x-to: client}}}
                          rewrite: {uri: /b}
                          timeout: 3s
                          retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,unavailable,503", retryRemoteLocalities: true, backoff: 10ms}
                          fault: {delay: {fixedDelay: 1s, percentage: {value: 1}}}
                          mirror: {host: catalog, subset: v2}
                          route:
                          - {destination: {host: catalog, subset: v1}, weight: 40, headers: {response: {set: {x-v: "1"}}}}
                          - {destination: {host: catalog, subset: v2}, weight: 60}
                        """)).resources();
        Map<String, Set<String>> allowed = Map.ofEntries(
                Map.entry("envoy.config.route.v3.RouteConfiguration", Set.of("name", "virtual_hosts")),
                Map.entry("envoy.config.route.v3.VirtualHost", Set.of("name", "domains", "routes")),
                Map.entry("envoy.config.route.v3.Route", Set.of("name", "match", "route", "typed_per_filter_config")),
                Map.entry("envoy.config.route.v3.RouteMatch", Set.of("prefix", "path", "safe_regex", "case_sensitive", "headers")),
                Map.entry("envoy.config.route.v3.HeaderMatcher", Set.of("name", "string_match")),
                Map.entry("envoy.config.route.v3.RouteAction", Set.of("cluster", "weighted_clusters", "hash_policy", "retry_policy",
                        "max_stream_duration")),
                Map.entry("envoy.config.route.v3.RouteAction.MaxStreamDuration", Set.of("max_stream_duration")),
                Map.entry("envoy.config.route.v3.RetryPolicy", Set.of("num_retries", "retry_on", "retry_back_off")),
                Map.entry("envoy.config.route.v3.WeightedCluster", Set.of("clusters")),
                Map.entry("envoy.config.route.v3.WeightedCluster.ClusterWeight", Set.of("name", "weight")),
                Map.entry("envoy.config.route.v3.RouteAction.HashPolicy", Set.of("header", "terminal")),
                Map.entry("envoy.config.cluster.v3.Cluster",
                        Set.of("name", "type", "eds_cluster_config", "lb_policy", "metadata", "circuit_breakers")),
                Map.entry("envoy.config.cluster.v3.CircuitBreakers", Set.of("thresholds")),
                Map.entry("envoy.config.cluster.v3.CircuitBreakers.Thresholds", Set.of("max_requests")));
        List<String> unexpected = new ArrayList<>();
        resources.routes().values().forEach(r -> unexpectedFields(r, allowed, unexpected));
        resources.clusters().values().forEach(c -> unexpectedFields(c, allowed, unexpected));
        assertThat(unexpected).isEmpty();
        assertThat(routes(resources, GRPC).get(0).getRoute().getWeightedClusters().getClustersCount()).isEqualTo(2);
    }

    @Test
    void ofTheClusterPolicyOnlyWhatGrpcJavaAppliesIsSentAndTheRestListed() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy:
                    connectionPool:
                      tcp: {maxConnections: 10, connectTimeout: 1s}
                      http: {http2MaxRequests: 100, maxRetries: 3}
                    outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 1m, maxEjectionPercent: 50}
                    retryBudget: {percent: 10}
                    loadBalancer: {simple: LEAST_REQUEST, warmup: {duration: 10s}}
                """);
        Cluster cluster = result.resources().clusters().get(cluster(""));
        assertThat(cluster.getCircuitBreakers().getThresholdsList()).singleElement()
                .isEqualTo(CircuitBreakers.Thresholds.newBuilder().setMaxRequests(UInt32Value.of(100)).build());
        assertThat(cluster.getOutlierDetection()).as("no consecutive-error fields: grpc-java reads none")
                .isEqualTo(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
                        .setEnforcingSuccessRate(UInt32Value.of(0))
                        .setInterval(com.google.protobuf.Duration.newBuilder().setSeconds(5))
                        .setBaseEjectionTime(com.google.protobuf.Duration.newBuilder().setSeconds(60))
                        .setMaxEjectionPercent(UInt32Value.of(50))
                        .build());
        assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
        assertThat(cluster.hasLeastRequestLbConfig()).as("no slow start in gRPC").isFalse();
        assertThat(result.ignored()).contains(
                "DestinationRule default/catalog in mesh.yaml (document 2): connectionPool.tcp.maxConnections does not reach gRPC clients",
                "DestinationRule default/catalog in mesh.yaml (document 2): connectionPool.tcp.connectTimeout does not reach gRPC clients",
                "DestinationRule default/catalog in mesh.yaml (document 2): connectionPool.http.maxRetries does not reach gRPC clients",
                "DestinationRule default/catalog in mesh.yaml (document 2): outlierDetection's consecutive-error ejection (grpc-java"
                        + " ejects by success rate and failure percentage only, both of which Istio turns off, so it ejects nothing)"
                        + " does not reach gRPC clients",
                "DestinationRule default/catalog in mesh.yaml (document 2): loadBalancer.warmup does not reach gRPC clients",
                "DestinationRule default/catalog in mesh.yaml (document 2): retryBudget does not reach gRPC clients");
        assertThat(result.ignored()).noneMatch(i -> i.contains("http2MaxRequests"));
    }

    @Test
    void aRetryBudgetDocumentDoesNotReachGrpcAndWithoutAnAlgorithmGrpcBalancesByLeastRequest() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + """
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: RetryBudget
                metadata: {name: catalog}
                spec: {host: catalog}
                """);
        assertThat(result.ignored()).contains("RetryBudget default/catalog in mesh.yaml (document 2): a RetryBudget does not reach gRPC clients");
        Cluster cluster = result.resources().clusters().get(cluster(""));
        assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
        assertThat(cluster.hasLoadBalancingPolicy()).isFalse();
        assertThat(cluster.getMetadata().getFilterMetadataOrThrow(MeshMetadata.NAMESPACE).containsFields(MeshMetadata.RETRY_BUDGET)).isFalse();
    }

    @Test
    void endpointsAreRankedForTheClientsLocality() throws Exception {
        String yaml = CATALOG.replace("ports: {grpc: 7001}", "ports: {grpc: 7001}, locality: us-west/zone1")
                .replace("ports: {grpc: 7002}", "ports: {grpc: 7002}, locality: eu-west/zone1") + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy: {outlierDetection: {}}
                """;
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", yaml);
        ClusterLoadAssignment west = GrpcSnapshotBuilder.build(mesh, new Locality("us-west", "zone1", "")).resources().endpoints().get(cluster(""));
        assertThat(west.getEndpointsList()).extracting(l -> l.getLocality().getRegion() + "@" + l.getPriority())
                .containsExactly("us-west@0", "eu-west@1");
        ClusterLoadAssignment east = GrpcSnapshotBuilder.build(mesh, new Locality("eu-west", "zone1", "")).resources().endpoints().get(cluster(""));
        assertThat(east.getEndpointsList()).extracting(l -> l.getLocality().getRegion() + "@" + l.getPriority())
                .containsExactly("us-west@1", "eu-west@0");
        assertThat(GrpcSnapshotBuilder.build(mesh).resources().endpoints().get(cluster("")).getEndpointsList())
                .as("a client that states no locality: both elsewhere").extracting(LocalityLbEndpoints::getPriority).containsExactly(0, 0);
    }

    @Test
    void equalModelsGiveEqualBytesWhateverTheDocumentOrder() throws Exception {
        String yaml = CATALOG + RULE + split(50, 50);
        XdsResources one = build(yaml).resources();
        XdsResources two = build(yaml).resources();
        XdsResources reordered = build(RULE.replaceFirst("---\n", "") + "---\n" + CATALOG + split(50, 50)).resources();
        for (XdsType type : XdsType.values()) {
            assertThat(two.version(type)).isEqualTo(one.version(type)).matches("[0-9a-f]{16}");
            assertThat(reordered.version(type)).isEqualTo(one.version(type));
            one.of(type).forEach((name, resource) -> assertThat(two.of(type).get(name).toByteString())
                    .isEqualTo(resource.toByteString()));
        }
        assertThat(Consistency.problems(one)).isEmpty();
        XdsResources shifted = build(CATALOG + RULE + split(0, 100)).resources();
        assertThat(shifted.version(XdsType.ROUTE)).isNotEqualTo(one.version(XdsType.ROUTE));
        assertThat(shifted.version(XdsType.CLUSTER)).isEqualTo(one.version(XdsType.CLUSTER));
        assertThat(shifted.version(XdsType.ENDPOINT)).isEqualTo(one.version(XdsType.ENDPOINT));
        assertThat(shifted.version(XdsType.LISTENER)).isEqualTo(one.version(XdsType.LISTENER));
    }

    @Test
    void aRouteThatSaysNothingRetriesOnIstiosDefaultGrpcStatusesWithNoTimeout() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE + split(50, 50));
        Route route = routes(result.resources(), GRPC).get(0);
        assertThat(route.getRoute().getRetryPolicy()).isEqualTo(RetryPolicy.newBuilder()
                .setNumRetries(UInt32Value.of(2))
                .setRetryOn("unavailable,cancelled")
                .build());
        assertThat(route.getRoute().hasTimeout()).as("gRPC reads max_stream_duration only").isFalse();
        assertThat(route.getRoute().getMaxStreamDuration()).as("0s: none, as Istio sends it to proxyless clients")
                .isEqualTo(RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(Duration.getDefaultInstance()).build());
        assertThat(result.ignored()).isEmpty();
        assertThat(routes(build(CATALOG).resources(), GRPC).get(0).getRoute().getRetryPolicy().getRetryOn())
                .as("the route of a host without VirtualServices too").isEqualTo("unavailable,cancelled");
    }

    @Test
    void timeoutRetriesOnGrpcStatusesAndFaultsReachGrpcAndTheRestIsListed() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE + virtualService("""
                - name: resilient
                  route: [{destination: {host: catalog, subset: v1}}]
                  timeout: 2s
                  retries: {attempts: 6, perTryTimeout: 1s, retryOn: "5xx,unavailable,deadline-exceeded,503", backoff: 10ms,
                            retryRemoteLocalities: true}
                  fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}
                  mirror: {host: catalog, subset: v2}
                """));
        Route route = routes(result.resources(), GRPC).get(0);
        assertThat(route.getRoute().getRetryPolicy()).isEqualTo(RetryPolicy.newBuilder()
                .setNumRetries(UInt32Value.of(6))
                .setRetryOn("unavailable,deadline-exceeded")
                .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(Durations.fromMillis(10)))
                .build());
        assertThat(route.getRoute().getMaxStreamDuration().getMaxStreamDuration()).isEqualTo(Durations.fromSeconds(2));
        assertThat(route.getRoute().getRequestMirrorPoliciesList()).isEmpty();
        assertThat(route.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class).getAbort().getGrpcStatus())
                .isEqualTo(14);
        HttpConnectionManager hcm = result.resources().listeners().get(GRPC).getApiListener().getApiListener()
                .unpack(HttpConnectionManager.class);
        assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
        assertThat(hcm.getHttpFilters(0).getIsOptional()).as("gRPC runs the fault filter").isFalse();
        assertThat(hcm.getHttpFilters(0).getTypedConfig().getTypeUrl())
                .isEqualTo("type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault");
        String where = "VirtualService default/catalog in mesh.yaml (document 3): route resilient: ";
        assertThat(result.ignored()).containsExactly(
                where + "mirroring (mirror, mirrors) does not reach gRPC clients",
                where + "retries.retryOn 5xx do not reach gRPC clients, which retry on gRPC statuses only",
                where + "retries.retryOn HTTP statuses [503] do not reach gRPC clients, which retry on gRPC statuses only",
                where + "retries.perTryTimeout does not reach gRPC clients",
                where + "retries.retryRemoteLocalities does not reach gRPC clients",
                where + "retries.attempts 6 reaches gRPC clients as 4, since gRPC makes at most 5 attempts");
        assertThat(result.problems()).isEmpty();
        assertThat(Consistency.problems(result.resources())).isEmpty();
    }

    @Test
    void aRouteThatRetriesOnNoGrpcStatusOrNotAtAllHasNoRetryPolicyForGrpc() throws Exception {
        GrpcSnapshotBuilder.Result result = build(CATALOG + RULE + virtualService("""
                - name: http-only
                  match: [{uri: {prefix: /a}}]
                  route: [{destination: {host: catalog, subset: v1}}]
                  retries: {attempts: 2, retryOn: "5xx,reset"}
                - name: never
                  route: [{destination: {host: catalog, subset: v2}}]
                  retries: {attempts: 0}
                """));
        assertThat(routes(result.resources(), GRPC)).extracting(r -> r.getRoute().hasRetryPolicy()).containsExactly(false, false);
        assertThat(result.ignored()).contains("VirtualService default/catalog in mesh.yaml (document 3): route http-only:"
                + " retries name no gRPC status, so gRPC clients do not retry this route");
        assertThat(result.resources().listeners().get(GRPC).getApiListener().getApiListener().unpack(HttpConnectionManager.class)
                .getHttpFiltersList()).as("no fault, no fault filter").extracting(HttpFilter::getName)
                .containsExactly("envoy.filters.http.router");
    }

    private static List<String> addresses(ClusterLoadAssignment assignment) {
        return assignment.getEndpointsList().stream()
                .flatMap(l -> l.getLbEndpointsList().stream())
                .map(e -> e.getEndpoint().getAddress().getSocketAddress())
                .map(a -> a.getAddress() + ":" + a.getPortValue())
                .toList();
    }

    /** Fields set on {@code message} or its descendants that {@code allowed} does not list for their type. */
    private static void unexpectedFields(Message message, Map<String, Set<String>> allowed, List<String> unexpected) {
        String type = message.getDescriptorForType().getFullName();
        for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
            Set<String> names = allowed.get(type);
            if (names != null && !names.contains(field.getKey().getName())) {
                unexpected.add(type + "." + field.getKey().getName());
            }
            List<?> values = field.getKey().isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
            values.stream().filter(Message.class::isInstance).map(Message.class::cast)
                    .forEach(v -> unexpectedFields(v, allowed, unexpected));
        }
    }
}
