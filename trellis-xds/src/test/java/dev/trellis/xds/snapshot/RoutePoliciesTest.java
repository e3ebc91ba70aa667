package dev.trellis.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.MeshConfig;
import dev.trellis.xds.Consistency;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A route's timeout, retries, fault and mirrors, and a service's local rate limit, as the xDS
 * resources of a Trellis proxy: Envoy's own fields, written as Istio writes them.
 */
class RoutePoliciesTest {
    static final String CATALOG_ROUTES = "catalog.default.svc.cluster.local:80";
    static final String CATALOG_LISTENER = "outbound|9090|catalog.default.svc.cluster.local:80";
    static final String PROXY = """
            apiVersion: trellis.dev/v1alpha1
            kind: Proxy
            metadata: {name: web}
            spec:
              workload: {service: web}
              inbound: {port: 15006, appPort: 8080}
              upstreams: [{service: catalog, port: 80, bindPort: 9090}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog}
            spec:
              hosts: [catalog]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints:
              - {address: 10.0.0.1, labels: {version: v1}}
              - {address: 10.0.0.2, labels: {version: v2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: shadow}
            spec:
              hosts: [shadow]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: 10.0.1.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: catalog}
            spec:
              host: catalog
              subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
            """;

    /** Istio's retry policy for a route that says nothing. */
    static final RetryPolicy ISTIO_DEFAULT = RetryPolicy.newBuilder()
            .setNumRetries(UInt32Value.of(2))
            .setRetryOn("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
            .addRetriableStatusCodes(503)
            .setHostSelectionRetryMaxAttempts(5)
            .addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
                    .setName("envoy.retry_host_predicates.previous_hosts")
                    .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
            .build();

    static ProxySnapshotBuilder.Result build(String yaml) throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", yaml);
        return ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0));
    }

    /** The proxy's resources, with {@code route} (indented, after {@code - }) the one route of a VirtualService for catalog. */
    static XdsResources withRoute(String route) throws Exception {
        ProxySnapshotBuilder.Result result = build(PROXY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                """ + route.indent(2));
        assertThat(result.problems()).isEmpty();
        assertThat(Consistency.problems(result.resources())).isEmpty();
        return result.resources();
    }

    static List<Route> routes(XdsResources resources, String name) {
        return resources.routes().get(name).getVirtualHosts(0).getRoutesList();
    }

    static RouteAction action(XdsResources resources) {
        return routes(resources, CATALOG_ROUTES).get(0).getRoute();
    }

    static List<HttpFilter> filters(Listener listener) throws Exception {
        return listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class).getHttpFiltersList();
    }

    static FractionalPercent perMillion(int numerator) {
        return FractionalPercent.newBuilder().setNumerator(numerator).setDenominator(FractionalPercent.DenominatorType.MILLION).build();
    }

    @Test
    void aRouteThatSaysNothingGetsIstiosDefaultRetriesAndNoTimeout() throws Exception {
        RouteAction action = action(withRoute("- route: [{destination: {host: catalog}}]"));
        assertThat(action.getRetryPolicy()).isEqualTo(ISTIO_DEFAULT);
        assertThat(action.getTimeout()).as("0s said outright: Envoy reads an unset timeout as 15s").isEqualTo(Protos.duration(java.time.Duration.ZERO));
        assertThat(action.getMaxStreamDuration()).as("grpc-timeout honoured, unbounded").isEqualTo(RouteAction.MaxStreamDuration.newBuilder()
                .setGrpcTimeoutHeaderMax(Protos.duration(java.time.Duration.ZERO)).build());
        assertThat(action.getRequestMirrorPoliciesList()).isEmpty();
        assertThat(routes(build(PROXY).resources(), CATALOG_ROUTES)).singleElement()
                .as("the route of a host without VirtualServices too")
                .satisfies(route -> assertThat(route.getRoute().getRetryPolicy()).isEqualTo(ISTIO_DEFAULT));
    }

    @Test
    void attempts0TurnsRetriesOff() throws Exception {
        assertThat(action(withRoute("- {route: [{destination: {host: catalog}}], retries: {attempts: 0}}")).hasRetryPolicy()).isFalse();
    }

    @Test
    void aStatedPolicyIsLaidOverTheDefault() throws Exception {
        RetryPolicy policy = action(withRoute("""
                - route: [{destination: {host: catalog}}]
                  retries: {attempts: 4, perTryTimeout: 2s, retryRemoteLocalities: true, backoff: 40ms}
                """)).getRetryPolicy();
        assertThat(policy).isEqualTo(ISTIO_DEFAULT.toBuilder()
                .setNumRetries(UInt32Value.of(4))
                .setPerTryTimeout(Protos.duration(java.time.Duration.ofSeconds(2)))
                .setRetryPriority(RetryPolicy.RetryPriority.newBuilder()
                        .setName("envoy.retry_priorities.previous_priorities")
                        .setTypedConfig(Any.pack(PreviousPrioritiesConfig.newBuilder().setUpdateFrequency(2).build())))
                .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(Protos.duration(java.time.Duration.ofMillis(40))))
                .build());
    }

    @Test
    void statusesInRetryOnBecomeRetriableStatusCodesAndTheirCondition() throws Exception {
        RetryPolicy numbers = action(withRoute("- {route: [{destination: {host: catalog}}], retries: {attempts: 3, retryOn: \"5xx,503,429\"}}"))
                .getRetryPolicy();
        assertThat(numbers.getRetryOn()).isEqualTo("5xx,retriable-status-codes");
        assertThat(numbers.getRetriableStatusCodesList()).containsExactly(503, 429);
        RetryPolicy named = action(withRoute("""
                - {route: [{destination: {host: catalog}}], retries: {attempts: 3, retryOn: "retriable-status-codes,502"}}"""))
                .getRetryPolicy();
        assertThat(named.getRetryOn()).as("named once").isEqualTo("retriable-status-codes");
        assertThat(named.getRetriableStatusCodesList()).containsExactly(502);
        RetryPolicy noStatus = action(withRoute("- {route: [{destination: {host: catalog}}], retries: {attempts: 3, retryOn: gateway-error}}"))
                .getRetryPolicy();
        assertThat(noStatus.getRetryOn()).isEqualTo("gateway-error");
        assertThat(noStatus.getRetriableStatusCodesList()).as("retryOn replaces the default's 503, as in Istio").isEmpty();
    }

    @Test
    void aRetryAvoidsHostsTriedUnlessTheRouteHashesConsistentlyOrSaysSo() throws Exception {
        assertThat(action(withRoute("""
                - {route: [{destination: {host: catalog}}], retries: {attempts: 3, retryIgnorePreviousHosts: false}}""")))
                .satisfies(a -> assertThat(a.getRetryPolicy().getRetryHostPredicateList()).isEmpty());
        XdsResources hashed = build(PROXY.replace("  subsets: [", "  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}\n  subsets: [")
                + "---\n" + """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http: [{route: [{destination: {host: catalog}}]}]
                """).resources();
        assertThat(action(hashed).getHashPolicyCount()).isEqualTo(1);
        assertThat(action(hashed).getRetryPolicy()).as("Istio's policy for a consistent hash")
                .isEqualTo(ISTIO_DEFAULT.toBuilder().clearRetryHostPredicate().build());
    }

    @Test
    void aTimeoutAlsoBoundsTheCallersGrpcTimeout() throws Exception {
        RouteAction action = action(withRoute("- {route: [{destination: {host: catalog}}], timeout: 3s}"));
        assertThat(action.getTimeout()).isEqualTo(Protos.duration(java.time.Duration.ofSeconds(3)));
        assertThat(action.getMaxStreamDuration().getGrpcTimeoutHeaderMax()).isEqualTo(Protos.duration(java.time.Duration.ofSeconds(3)));
        assertThat(action.getMaxStreamDuration().hasMaxStreamDuration()).isFalse();
    }

    @Test
    void aFaultIsTheRoutesSettingOfTheFaultFilterWhichItsListenerRunsBeforeTheRouter() throws Exception {
        XdsResources resources = withRoute("""
                - name: faulty
                  match: [{uri: {prefix: /a}}, {uri: {prefix: /b}}]
                  route: [{destination: {host: catalog}}]
                  fault:
                    delay: {fixedDelay: 1.5s, percentage: {value: 12.5}}
                    abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}
                - route: [{destination: {host: catalog}}]
                """);
        HTTPFault expected = HTTPFault.newBuilder()
                .setDelay(FaultDelay.newBuilder().setFixedDelay(Protos.duration(java.time.Duration.ofMillis(1500))).setPercentage(perMillion(125_000)))
                .setAbort(FaultAbort.newBuilder().setGrpcStatus(14).setPercentage(perMillion(1_000_000)))
                .build();
        List<Route> routes = routes(resources, CATALOG_ROUTES);
        assertThat(routes).hasSize(3);
        assertThat(routes.subList(0, 2)).as("each match of the route").allSatisfy(route -> assertThat(
                route.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class)).isEqualTo(expected));
        assertThat(routes.get(2).getTypedPerFilterConfigMap()).isEmpty();
        assertThat(filters(resources.listeners().get(CATALOG_LISTENER))).extracting(HttpFilter::getName)
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
        assertThat(filters(resources.listeners().get(CATALOG_LISTENER)).get(0).getTypedConfig().unpack(HTTPFault.class))
                .as("configured by its routes alone").isEqualTo(HTTPFault.getDefaultInstance());
        assertThat(filters(withRoute("- route: [{destination: {host: catalog}}]").listeners().get(CATALOG_LISTENER)))
                .as("no fault, no fault filter").extracting(HttpFilter::getName).containsExactly("envoy.filters.http.router");
    }

    @Test
    void anHttpAbortKeepsItsStatus() throws Exception {
        assertThat(routes(withRoute("- {route: [{destination: {host: catalog}}], fault: {abort: {httpStatus: 503, percentage: {value: 50}}}}"),
                CATALOG_ROUTES).get(0).getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class))
                .isEqualTo(HTTPFault.newBuilder()
                        .setAbort(FaultAbort.newBuilder().setHttpStatus(503).setPercentage(perMillion(500_000)))
                        .build());
    }

    @Test
    void mirrorsCopyToTheClusterOfTheirDestinationWhichTheSnapshotHolds() throws Exception {
        XdsResources resources = withRoute("""
                - route: [{destination: {host: catalog, subset: v1}}]
                  mirrors:
                  - {destination: {host: shadow}, percentage: {value: 25}}
                  - {destination: {host: catalog, subset: v2}}
                  - {destination: {host: shadow, port: {number: 80}}, percentage: {value: 0}}
                """);
        assertThat(action(resources).getRequestMirrorPoliciesList()).as("a share of 0 copies nothing, as in Istio").containsExactly(
                RouteAction.RequestMirrorPolicy.newBuilder().setCluster("outbound|80||shadow.default.svc.cluster.local")
                        .setRuntimeFraction(RuntimeFractionalPercent.newBuilder().setDefaultValue(perMillion(250_000))).build(),
                RouteAction.RequestMirrorPolicy.newBuilder().setCluster("outbound|80|v2|catalog.default.svc.cluster.local")
                        .setRuntimeFraction(RuntimeFractionalPercent.newBuilder().setDefaultValue(perMillion(1_000_000))).build());
        assertThat(resources.clusters()).containsKey("outbound|80||shadow.default.svc.cluster.local");
        assertThat(resources.endpoints().get("outbound|80||shadow.default.svc.cluster.local").getEndpoints(0).getLbEndpointsCount()).isOne();
    }

    @Test
    void theOlderMirrorFieldsGiveOneMirror() throws Exception {
        assertThat(action(withRoute("""
                - route: [{destination: {host: catalog}}]
                  mirror: {host: shadow}
                  mirrorPercentage: {value: 10}
                """)).getRequestMirrorPoliciesList()).singleElement().satisfies(m -> {
                    assertThat(m.getCluster()).isEqualTo("outbound|80||shadow.default.svc.cluster.local");
                    assertThat(m.getRuntimeFraction().getDefaultValue()).isEqualTo(perMillion(100_000));
                });
    }

    @Test
    void aMirrorToAnUndeclaredHostIsAProblemAndStillHasACluster() throws Exception {
        ProxySnapshotBuilder.Result result = build(PROXY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http: [{name: copied, route: [{destination: {host: catalog}}], mirror: {host: nowhere}}]
                """);
        assertThat(result.problems()).containsExactly("VirtualService default/catalog in mesh.yaml (document 5): route copied:"
                + " destination host nowhere.default.svc.cluster.local is not declared by any ServiceEntry");
        assertThat(result.resources().clusters()).containsKey("outbound|80||nowhere.default.svc.cluster.local");
        assertThat(Consistency.problems(result.resources())).isEmpty();
    }

    @Test
    void consistencyKnowsMirrorClusters() throws Exception {
        XdsResources resources = withRoute("- {route: [{destination: {host: catalog}}], mirror: {host: shadow}}");
        String shadow = "outbound|80||shadow.default.svc.cluster.local";
        TreeMap<String, io.envoyproxy.envoy.config.cluster.v3.Cluster> clusters = new TreeMap<>(resources.clusters());
        clusters.remove(shadow);
        TreeMap<String, io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment> endpoints = new TreeMap<>(resources.endpoints());
        endpoints.remove(shadow);
        assertThat(Consistency.problems(resources.with(XdsType.CLUSTER, clusters).with(XdsType.ENDPOINT, endpoints)))
                .containsExactly("route catalog.0 of " + CATALOG_ROUTES + " names cluster " + shadow + ", which is not in the snapshot");
    }

    static final String LIMIT = """
            ---
            apiVersion: trellis.dev/v1alpha1
            kind: LocalRateLimit
            metadata: {name: web}
            spec:
              host: web
              tokenBucket: {maxTokens: 100, tokensPerFill: 10, fillInterval: 1s}
              routes:
              - {path: /expensive, tokenBucket: {maxTokens: 2, fillInterval: 500ms}}
              - {pathPrefix: /search/, tokenBucket: {maxTokens: 5, fillInterval: 1s}}
            """;

    static LocalRateLimit rateLimit(int maxTokens, int tokensPerFill, java.time.Duration fillInterval) {
        RuntimeFractionalPercent all = RuntimeFractionalPercent.newBuilder().setDefaultValue(perMillion(1_000_000)).build();
        return LocalRateLimit.newBuilder()
                .setStatPrefix("http_local_rate_limiter")
                .setTokenBucket(TokenBucket.newBuilder().setMaxTokens(maxTokens).setTokensPerFill(UInt32Value.of(tokensPerFill))
                        .setFillInterval(Protos.duration(fillInterval)))
                .setFilterEnabled(all)
                .setFilterEnforced(all)
                .build();
    }

    @Test
    void aLocalRateLimitIsAFilterOfTheInboundListenerOfItsServiceWithARouteForEachPath() throws Exception {
        ProxySnapshotBuilder.Result result = build(PROXY + LIMIT);
        assertThat(result.problems()).isEmpty();
        XdsResources resources = result.resources();
        assertThat(Consistency.problems(resources)).isEmpty();
        List<HttpFilter> filters = filters(resources.listeners().get("inbound|15006"));
        assertThat(filters).extracting(HttpFilter::getName).containsExactly("envoy.filters.http.local_ratelimit", "envoy.filters.http.router");
        assertThat(filters.get(0).getTypedConfig().unpack(LocalRateLimit.class)).as("the service's bucket, for every other request")
                .isEqualTo(rateLimit(100, 10, java.time.Duration.ofSeconds(1)));
        List<Route> routes = routes(resources, "inbound|15006");
        assertThat(routes).extracting(Route::getName).as("one route_name for the app's metrics").containsOnly("inbound|15006");
        assertThat(routes).extracting(r -> r.getMatch().getPathSpecifierCase() + " " + r.getMatch().getPath() + r.getMatch().getPrefix())
                .containsExactly("PATH /expensive", "PREFIX /search/", "PREFIX /");
        assertThat(routes.get(0).getTypedPerFilterConfigOrThrow("envoy.filters.http.local_ratelimit").unpack(LocalRateLimit.class))
                .isEqualTo(rateLimit(2, 1, java.time.Duration.ofMillis(500)));
        assertThat(routes.get(1).getTypedPerFilterConfigOrThrow("envoy.filters.http.local_ratelimit").unpack(LocalRateLimit.class))
                .isEqualTo(rateLimit(5, 1, java.time.Duration.ofSeconds(1)));
        assertThat(routes.get(2).getTypedPerFilterConfigMap()).isEmpty();
        assertThat(routes).allSatisfy(route -> {
            assertThat(route.getRoute().getCluster()).isEqualTo("inbound|8080||");
            assertThat(route.getRoute().hasRetryPolicy()).as("no retries inbound, as in Istio").isFalse();
            assertThat(route.getRoute().getTimeout()).isEqualTo(Protos.duration(java.time.Duration.ZERO));
        });
        assertThat(filters(resources.listeners().get(CATALOG_LISTENER))).as("outbound listeners are not limited")
                .extracting(HttpFilter::getName).containsExactly("envoy.filters.http.router");
    }

    @Test
    void aLocalRateLimitOfAnotherServiceLeavesTheInboundListenerAlone() throws Exception {
        XdsResources resources = build(PROXY + LIMIT.replace("host: web", "host: catalog")).resources();
        assertThat(filters(resources.listeners().get("inbound|15006"))).extracting(HttpFilter::getName)
                .containsExactly("envoy.filters.http.router");
        assertThat(routes(resources, "inbound|15006")).singleElement().satisfies(r -> assertThat(r.getMatch().getPrefix()).isEqualTo("/"));
    }

    @Test
    void aLocalRateLimitOfAServiceServedOverTcpIsAProblem() throws Exception {
        assertThat(build(PROXY.replace("appPort: 8080}", "appPort: 8080, protocol: TCP}") + LIMIT).problems()).containsExactly(
                "LocalRateLimit default/web in mesh.yaml (document 5): spec.host: web.default.svc.cluster.local is served by"
                        + " Proxy default/web over TCP (inbound.protocol), which has no requests to limit");
    }
}
