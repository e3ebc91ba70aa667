package dev.trellis.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.Any;
import dev.trellis.proxy.config.HttpOptions;
import dev.trellis.proxy.route.Fault;
import dev.trellis.proxy.route.Mirror;
import dev.trellis.proxy.route.RateLimit;
import dev.trellis.proxy.route.RequestPolicy;
import dev.trellis.proxy.route.RetryOn;
import dev.trellis.proxy.route.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.Set;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.model.RetryBudget;
import dev.trellis.proxy.balance.LbPolicy;
import dev.trellis.proxy.balance.LbSettings;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.config.ProxyConfig;
import dev.trellis.proxy.config.UpstreamPolicy;
import dev.trellis.proxy.resilience.CircuitBreakerPolicy;
import dev.trellis.proxy.resilience.OutlierPolicy;
import dev.trellis.proxy.resilience.RetryBudgetPolicy;
import dev.trellis.proxy.route.HashPolicy;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.route.WeightedCluster;
import dev.trellis.proxy.telemetry.Metrics;
import dev.trellis.xds.MeshMetadata;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import dev.trellis.xds.snapshot.ProxySnapshotBuilder;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.route.v3.HedgePolicy;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Each feature of the model survives the one path every proxy takes: documents to model, model
 * to xDS resources, xDS resources to the runtime configuration.
 */
class RoundTripTest {
    static final String PROXY = """
            apiVersion: trellis.dev/v1alpha1
            kind: Proxy
            metadata: {name: web, namespace: shop}
            spec:
              workload: {service: web, labels: {app: web}}
              inbound: {port: 15006, appPort: 8080, protocol: GRPC}
              upstreams:
              - {service: catalog, port: 80, bindPort: 9090}
              - {service: cache, port: 6379, bindPort: 9091}
              - {service: search, port: 80, bindPort: 9092}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog, namespace: shop}
            spec:
              hosts: [catalog]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints:
              - {address: 10.0.0.1, ports: {http: 8081}, labels: {version: v1}}
              - {address: 10.0.0.2, ports: {http: 8082}, labels: {version: v2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: cache, namespace: shop}
            spec:
              hosts: [cache]
              ports: [{number: 6379, name: redis, protocol: TCP}]
              resolution: STATIC
              endpoints: [{address: 10.0.1.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: search, namespace: shop}
            spec:
              hosts: [search]
              ports: [{number: 80, name: grpc, protocol: GRPC}]
              resolution: DNS
              endpoints: [{address: search.example.com}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cache, namespace: shop}
            spec:
              host: cache
              trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}
            """;

    static final String CATALOG_RULES = """
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: catalog, namespace: shop}
            spec:
              host: catalog
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
              subsets:
              - {name: v1, labels: {version: v1}}
              - name: v2
                labels: {version: v2}
                trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: session, path: /, ttl: 600s}}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: catalog, namespace: shop}
            spec:
              hosts: [catalog]
              http:
              - name: exact
                match: [{uri: {exact: /a}}]
                route: [{destination: {host: catalog, subset: v1}}]
                rewrite: {uri: /z, authority: inner.example}
              - name: prefix
                match: [{uri: {prefix: /v1/}}]
                route: [{destination: {host: catalog, subset: v1}}]
                rewrite: {uri: /api/}
              - name: regex-or-nocase
                match:
                - {uri: {regex: "/items/[0-9]+"}}
                - {uri: {prefix: /Docs}, ignoreUriCase: true}
                route: [{destination: {host: catalog, subset: v1}}]
              - name: conditions
                match:
                - method: {exact: POST}
                  authority: {prefix: api.}
                  headers: {x-env: {regex: "prod|staging"}}
                route: [{destination: {host: catalog, subset: v2}}]
              - name: split
                headers:
                  request: {set: {x-route: split}, remove: [x-debug]}
                  response: {add: {x-served-by: trellis}}
                route:
                - destination: {host: catalog, subset: v1}
                  weight: 90
                  headers: {request: {set: {x-version: v1}}}
                - {destination: {host: catalog, subset: v2}, weight: 10}
                - {destination: {host: catalog}, weight: 0}
            """;

    Metrics metrics = new Metrics();
    XdsAdapter adapter = new XdsAdapter(metrics);

    ProxyConfig runtime(String yaml) throws ConfigException {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", yaml);
        ProxyBootstrap proxy = mesh.proxies().get(0);
        ProxySnapshotBuilder.Result snapshot = ProxySnapshotBuilder.build(mesh, proxy);
        assertThat(snapshot.problems()).isEmpty();
        return adapter.adapt(proxy, snapshot.resources(), null);
    }

    static HttpRequest request(HttpMethod method, String uri, String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    static String routeOf(ListenerConfig listener, HttpMethod method, String uri, String... headers) {
        Route route = listener.routes().match(request(method, uri, headers));
        return route == null ? null : route.name();
    }

    static ListenerConfig listener(ProxyConfig config, String name) {
        return config.listener(name).orElseThrow();
    }

    @Test
    void routeConditionsKeepTheirMeaning() throws Exception {
        ListenerConfig catalog = listener(runtime(PROXY + CATALOG_RULES), "outbound|9090|catalog.shop.svc.cluster.local:80");
        HttpMethod get = HttpMethod.GET;
        assertThat(routeOf(catalog, get, "/a")).isEqualTo("exact");
        assertThat(routeOf(catalog, get, "/a?x=1")).as("an exact path ignores the query").isEqualTo("exact");
        assertThat(routeOf(catalog, get, "/v1/items")).isEqualTo("prefix");
        assertThat(routeOf(catalog, get, "/items/42?q")).as("a regex sees the path alone").isEqualTo("regex-or-nocase");
        assertThat(routeOf(catalog, get, "/items/4x")).as("only the regex could take it, and it must not").isEqualTo("split");
        assertThat(routeOf(catalog, get, "/DOCS/intro")).as("the second match of a route selects it").isEqualTo("regex-or-nocase");
        assertThat(routeOf(catalog, HttpMethod.POST, "/x", "Host", "API.example", "x-env", "staging")).isEqualTo("conditions");
        assertThat(routeOf(catalog, HttpMethod.POST, "/x", "Host", "api.example", "x-env", "dev")).isEqualTo("split");
        assertThat(routeOf(catalog, get, "/x", "Host", "api.example", "x-env", "prod")).as("the method must match").isEqualTo("split");
        assertThat(routeOf(catalog, HttpMethod.POST, "/x", "x-env", "prod")).as("no Host, no authority match").isEqualTo("split");
    }

    @Test
    void ignoreCaseDoesNotMakeARegexHeaderMatchCaseInsensitiveAsInEnvoy() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY + CATALOG_RULES);
        ProxyBootstrap proxy = mesh.proxies().get(0);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, proxy).resources();
        String name = "catalog.shop.svc.cluster.local:80";
        RouteConfiguration.Builder config = resources.routes().get(name).toBuilder();
        int flagged = 0;
        for (var host : config.getVirtualHostsBuilderList()) {
            for (var route : host.getRoutesBuilderList()) {
                for (var header : route.getMatchBuilder().getHeadersBuilderList()) {
                    if (header.getStringMatch().hasSafeRegex()) {
                        header.getStringMatchBuilder().setIgnoreCase(true);
                        flagged++;
                    }
                }
            }
        }
        assertThat(flagged).as("the x-env condition of route conditions").isEqualTo(1);
        ProxyConfig runtime = adapter.adapt(proxy, resources.with(XdsType.ROUTE, replace(resources.routes(), name, config.build())), null);
        ListenerConfig catalog = listener(runtime, "outbound|9090|catalog.shop.svc.cluster.local:80");
        assertThat(routeOf(catalog, HttpMethod.POST, "/x", "Host", "api.example", "x-env", "prod")).isEqualTo("conditions");
        assertThat(routeOf(catalog, HttpMethod.POST, "/x", "Host", "api.example", "x-env", "PROD"))
                .as("Envoy ignores ignore_case for safe_regex").isEqualTo("split");
    }

    @Test
    void rewritesKeepTheirMeaning() throws Exception {
        ListenerConfig catalog = listener(runtime(PROXY + CATALOG_RULES), "outbound|9090|catalog.shop.svc.cluster.local:80");
        Route exact = catalog.routes().match(request(HttpMethod.GET, "/a?b=c"));
        assertThat(exact.pathRewrite().apply("/a?b=c")).isEqualTo("/z?b=c");
        assertThat(exact.authorityRewrite()).isEqualTo("inner.example");
        Route prefix = catalog.routes().match(request(HttpMethod.GET, "/v1/items?a=b"));
        assertThat(prefix.pathRewrite().apply("/v1/items?a=b")).isEqualTo("/api/items?a=b");
        assertThat(prefix.authorityRewrite()).isNull();
    }

    @Test
    void aRewriteWithoutAUriConditionReplacesTheWholePath() throws Exception {
        ListenerConfig catalog = listener(runtime(PROXY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog, namespace: shop}
                spec:
                  hosts: [catalog]
                  http:
                  - match: [{uri: {regex: "/r/.*"}}]
                    route: [{destination: {host: catalog}}]
                    rewrite: {uri: /regex}
                  - route: [{destination: {host: catalog}}]
                    rewrite: {uri: /all}
                """), "outbound|9090|catalog.shop.svc.cluster.local:80");
        assertThat(catalog.routes().match(request(HttpMethod.GET, "/r/1")).pathRewrite().apply("/r/1?q")).isEqualTo("/regex?q");
        assertThat(catalog.routes().match(request(HttpMethod.GET, "/x/y")).pathRewrite().apply("/x/y?q")).isEqualTo("/all?q");
    }

    @Test
    void weightsHeadersAndSubsetsKeepTheirMeaning() throws Exception {
        ProxyConfig config = runtime(PROXY + CATALOG_RULES);
        Route split = listener(config, "outbound|9090|catalog.shop.svc.cluster.local:80").routes().routes().stream()
                .filter(r -> r.name().equals("split")).findFirst().orElseThrow();
        assertThat(split.clusters()).extracting(WeightedCluster::name, WeightedCluster::weight).containsExactly(
                tuple("outbound|80|v1|catalog.shop.svc.cluster.local", 90),
                tuple("outbound|80|v2|catalog.shop.svc.cluster.local", 10));
        HttpHeaders request = new DefaultHttpHeaders().add("x-debug", "1").add("x-route", "old");
        split.requestHeaders().apply(request);
        split.clusters().get(0).requestHeaders().apply(request);
        assertThat(request.contains("x-debug")).isFalse();
        assertThat(request.getAll("x-route")).containsExactly("split");
        assertThat(request.get("x-version")).isEqualTo("v1");
        HttpHeaders response = new DefaultHttpHeaders().add("x-served-by", "app");
        split.responseHeaders().apply(response);
        assertThat(response.getAll("x-served-by")).containsExactly("app", "trellis");

        Cluster v1 = config.clusters().get("outbound|80|v1|catalog.shop.svc.cluster.local");
        assertThat(v1.endpoints()).extracting(Object::toString).containsExactly("10.0.0.1:8081");
        assertThat(v1.endpoints().get(0).labels()).isEqualTo(Map.of("version", "v1"));
        assertThat(v1.spec().lbPolicy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(v1.service()).isEqualTo("catalog.shop.svc.cluster.local");
        assertThat(config.clusters().get("outbound|80||catalog.shop.svc.cluster.local").endpoints()).hasSize(2);
        assertThat(config.clusters().get("outbound|80||catalog.shop.svc.cluster.local").spec().lbPolicy())
                .as("the rule's policy").isEqualTo(LbPolicy.ROUND_ROBIN);
    }

    @Test
    void consistentHashingKeepsItsKey() throws Exception {
        ProxyConfig config = runtime(PROXY + CATALOG_RULES);
        assertThat(config.clusters().get("outbound|80|v2|catalog.shop.svc.cluster.local").spec().lbPolicy()).isEqualTo(LbPolicy.RING_HASH);
        Route conditions = listener(config, "outbound|9090|catalog.shop.svc.cluster.local:80").routes().routes().stream()
                .filter(r -> r.name().equals("conditions")).findFirst().orElseThrow();
        assertThat(conditions.hashPolicy().keys()).containsExactly(new HashPolicy.Key.Cookie("session", "/", Duration.ofSeconds(600)));
        ListenerConfig cache = listener(config, "outbound|9091|cache.shop.svc.cluster.local:6379");
        assertThat(cache.kind()).isEqualTo(ListenerConfig.Kind.TCP);
        assertThat(cache.tcpHashSourceIp()).isTrue();
        assertThat(cache.tcpCluster().spec().lbPolicy()).isEqualTo(LbPolicy.RING_HASH);
    }

    @Test
    void protocolsAndDnsEndpointsKeepTheirMeaning() throws Exception {
        ProxyConfig config = runtime(PROXY);
        Cluster search = config.clusters().get("outbound|80||search.shop.svc.cluster.local");
        assertThat(search.http2()).isTrue();
        assertThat(search.endpoints()).extracting(Object::toString).containsExactly("search.example.com:80");
        assertThat(search.endpoints().get(0).address().isUnresolved()).as("resolved at each connect").isTrue();
        assertThat(config.clusters().get("outbound|80||catalog.shop.svc.cluster.local").http2()).isFalse();
        assertThat(config.clusters().get("outbound|80||catalog.shop.svc.cluster.local").spec().lbPolicy())
                .as("Trellis's default on an HTTP port").isEqualTo(LbPolicy.PEAK_EWMA);
        ListenerConfig catalog = listener(config, "outbound|9090|catalog.shop.svc.cluster.local:80");
        assertThat(catalog.host()).isEqualTo("127.0.0.1");
        assertThat(catalog.port()).isEqualTo(9090);
        assertThat(catalog.webSocket()).isTrue();
        assertThat(catalog.routes().routes()).extracting(Route::name).containsExactly("default");
    }

    @Test
    void theInboundListenerLeadsToTheApp() throws Exception {
        ProxyConfig config = runtime(PROXY);
        ListenerConfig inbound = listener(config, "inbound|15006");
        assertThat(inbound.direction()).isEqualTo(ListenerConfig.Direction.INBOUND);
        assertThat(inbound.host()).isEqualTo("0.0.0.0");
        Cluster app = inbound.routes().match(request(HttpMethod.GET, "/anything")).clusters().get(0).cluster();
        assertThat(app.name()).isEqualTo("inbound|8080||");
        assertThat(app.endpoints()).extracting(Object::toString).containsExactly("127.0.0.1:8080");
        assertThat(app.http2()).as("a GRPC app is reached over h2c").isTrue();
        assertThat(app.endpoints().get(0).labels()).isEqualTo(Map.of("app", "web"));
    }

    @Test
    void metricLabelsNameTheWorkloadServiceRouteAndCluster() throws Exception {
        ProxyConfig config = runtime(PROXY + CATALOG_RULES);
        listener(config, "outbound|9090|catalog.shop.svc.cluster.local:80").routes().routes().get(0).clusters().get(0).stats().record(200, 1000);
        listener(config, "inbound|15006").routes().routes().get(0).clusters().get(0).stats().record(204, 1000);
        assertThat(metrics.prometheusText())
                .contains("istio_requests_total{reporter=\"source\",source_workload=\"web\",source_workload_namespace=\"shop\","
                        + "destination_service=\"catalog.shop.svc.cluster.local\",destination_service_name=\"catalog\","
                        + "destination_service_namespace=\"shop\",route_name=\"exact\","
                        + "upstream_cluster=\"outbound|80|v1|catalog.shop.svc.cluster.local\",response_code=\"200\",response_flags=\"-\"} 1")
                .contains("istio_requests_total{reporter=\"destination\",destination_workload=\"web\",destination_workload_namespace=\"shop\","
                        + "destination_service=\"web.shop.svc.cluster.local\",destination_service_name=\"web\","
                        + "destination_service_namespace=\"shop\",route_name=\"inbound|15006\",upstream_cluster=\"inbound|8080||\","
                        + "response_code=\"204\",response_flags=\"-\"} 1");
    }

    @Test
    void unchangedClustersAreCarriedOverWithTheirState() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY + CATALOG_RULES);
        ProxyBootstrap proxy = mesh.proxies().get(0);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, proxy).resources();
        ProxyConfig first = adapter.adapt(proxy, resources, null);
        ProxyConfig second = adapter.adapt(proxy, resources, first);
        assertThat(second.clusters().get("outbound|80|v1|catalog.shop.svc.cluster.local"))
                .isSameAs(first.clusters().get("outbound|80|v1|catalog.shop.svc.cluster.local"));
    }

    @Test
    void endpointsSharedWithTheClusterBeforeKeepTheirLoadCounters() throws Exception {
        ProxyConfig first = runtime(PROXY);
        Cluster before = first.clusters().get("outbound|80||catalog.shop.svc.cluster.local");
        before.endpoints().get(0).requestStarted();
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY.replace(
                "- {address: 10.0.0.2, ports: {http: 8082}, labels: {version: v2}}",
                "- {address: 10.0.0.3, ports: {http: 8083}, labels: {version: v3}}"));
        ProxyConfig second = adapter.adapt(mesh.proxies().get(0), ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0)).resources(), first);
        Cluster after = second.clusters().get("outbound|80||catalog.shop.svc.cluster.local");
        assertThat(after).isNotSameAs(before);
        assertThat(after.endpoints().get(0)).isSameAs(before.endpoints().get(0));
        assertThat(after.endpoints().get(0).activeRequests()).isEqualTo(1);
    }

    @Test
    void whatTheProxyCannotHonourIsRefusedByNameAndField() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY);
        ProxyBootstrap proxy = mesh.proxies().get(0);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, proxy).resources();
        String name = "outbound|80||catalog.shop.svc.cluster.local";
        XdsResources withBreaker = resources.with(XdsType.CLUSTER,
                replace(resources.clusters(), name, resources.clusters().get(name).toBuilder()
                        .setCircuitBreakers(resources.clusters().get(name).getCircuitBreakers().toBuilder()
                                .addThresholds(CircuitBreakers.Thresholds.newBuilder().setPriority(RoutingPriority.HIGH)))
                        .build()));
        assertThatThrownBy(() -> adapter.adapt(proxy, withBreaker, null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Cluster " + name + ": circuit_breakers.thresholds[1].priority: HIGH "
                        + "(expected: DEFAULT; Trellis has no request priorities)");

        String routes = "catalog.shop.svc.cluster.local:80";
        RouteConfiguration config = resources.routes().get(routes);
        var action = config.getVirtualHosts(0).getRoutes(0).getRoute().toBuilder();
        action.getRetryPolicyBuilder().setPerTryIdleTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3));
        action.setHedgePolicy(HedgePolicy.getDefaultInstance());
        RouteConfiguration hedged = config.toBuilder().setVirtualHosts(0, config.getVirtualHosts(0).toBuilder()
                        .setRoutes(0, config.getVirtualHosts(0).getRoutes(0).toBuilder().setRoute(action)))
                .build();
        XdsResources withHedging = resources.with(XdsType.ROUTE, replace(resources.routes(), routes, hedged));
        assertThatThrownBy(() -> adapter.adapt(proxy, withHedging, null))
                .hasMessageContaining("RouteConfiguration " + routes + ": virtual_hosts[0].routes[0].route.hedge_policy: "
                        + "not supported by Trellis (expected: unset)")
                .hasMessageContaining("RouteConfiguration " + routes + ": virtual_hosts[0].routes[0].route.retry_policy"
                        + ".per_try_idle_timeout: not supported by Trellis (expected: unset)");
    }

    @Test
    void aRouteToAClusterThatIsNotThereAnswersItself() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY);
        ProxyBootstrap proxy = mesh.proxies().get(0);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, proxy).resources();
        String name = "outbound|80||catalog.shop.svc.cluster.local";
        XdsResources without = resources
                .with(XdsType.CLUSTER, without(resources.clusters(), name))
                .with(XdsType.ENDPOINT, without(resources.endpoints(), name));
        ProxyConfig config = adapter.adapt(proxy, without, null);
        WeightedCluster target = listener(config, "outbound|9090|catalog.shop.svc.cluster.local:80").routes().routes().get(0).clusters().get(0);
        assertThat(target.name()).isEqualTo(name);
        assertThat(target.cluster()).isNull();
    }

    static <T> Map<String, T> replace(Map<String, T> map, String key, T value) {
        Map<String, T> copy = new TreeMap<>(map);
        copy.put(key, value);
        return copy;
    }

    static <T> Map<String, T> without(Map<String, T> map, String key) {
        Map<String, T> copy = new TreeMap<>(map);
        copy.remove(key);
        return copy;
    }

    /** A proxy in us-west/zone1 calling orders, whose endpoints run in three localities, with {@code rule} for orders. */
    static String orders(String rule) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: web, namespace: shop}
                spec:
                  workload: {labels: {version: v1}, locality: us-west/zone1}
                  upstreams:
                  - {service: orders, port: 80, bindPort: 9090}
                  - {service: ledger, port: 5432, bindPort: 9091}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: orders, namespace: shop}
                spec:
                  hosts: [orders]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 10.0.0.1, locality: us-west/zone1, labels: {version: v1}}
                  - {address: 10.0.0.2, locality: us-west/zone2, labels: {version: v1}}
                  - {address: 10.0.0.3, locality: eu-west/zone1, labels: {version: v2}}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ledger, namespace: shop}
                spec:
                  hosts: [ledger]
                  ports: [{number: 5432, name: pg, protocol: TCP}]
                  resolution: STATIC
                  endpoints: [{address: 10.0.1.1}]
                """ + rule;
    }

    static final String ORDERS = "outbound|80||orders.shop.svc.cluster.local";

    static String ordersRule(String spec) {
        return """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: orders, namespace: shop}
                spec:
                  host: orders
                """ + spec.indent(2);
    }

    /** Each endpoint as "address@locality priority/weight". */
    static List<String> ranks(Cluster.Spec spec) {
        return spec.endpoints().stream()
                .map(e -> e.host() + "@" + e.locality() + " " + e.priority() + "/" + e.localityWeight())
                .toList();
    }

    @Test
    void withoutARuleAClusterRunsIstiosDefaultsAndPeakEwma() throws Exception {
        ProxyConfig config = runtime(orders(""));
        Cluster.Spec spec = config.clusters().get(ORDERS).spec();
        assertThat(spec.upstream()).isEqualTo(UpstreamPolicy.DEFAULT);
        assertThat(spec.upstream().retryBudget()).isNull();
        assertThat(spec.upstream().outlier()).isNull();
        assertThat(spec.lbPolicy()).isEqualTo(LbPolicy.PEAK_EWMA);
        assertThat(spec.lbSettings()).isEqualTo(LbSettings.DEFAULTS.withPanicThresholdPercent(50));
        assertThat(ranks(spec)).as("no outlier detection: one priority, no locality weights").containsExactly(
                "10.0.0.1@us-west/zone1 0/0", "10.0.0.2@us-west/zone2 0/0", "10.0.0.3@eu-west/zone1 0/0");
        assertThat(config.clusters().get("outbound|5432||ledger.shop.svc.cluster.local").spec().lbPolicy())
                .as("a TCP port keeps Istio's default").isEqualTo(LbPolicy.LEAST_REQUEST);
    }

    @Test
    void connectionPoolOutlierDetectionAndRetryBudgetReachTheUpstreamPolicy() throws Exception {
        Cluster.Spec spec = runtime(orders(ordersRule("""
                trafficPolicy:
                  connectionPool:
                    tcp: {maxConnections: 100, connectTimeout: 250ms, tcpKeepalive: {probes: 3, time: 2h}}
                    http: {http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 50, maxRetries: 4,
                           idleTimeout: 90s, h2UpgradePolicy: UPGRADE}
                  outlierDetection: {consecutive5xxErrors: 7, consecutiveGatewayErrors: 2, interval: 5s, baseEjectionTime: 1m,
                                     maxEjectionPercent: 50, minHealthPercent: 25,
                                     splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 3}
                  retryBudget: {percent: 12.5, minRetryConcurrency: 7}
                """))).clusters().get(ORDERS).spec();
        UpstreamPolicy upstream = spec.upstream();
        assertThat(upstream.breakers()).isEqualTo(new CircuitBreakerPolicy(100, 10, 1000, 4));
        assertThat(upstream.retryBudget()).isEqualTo(new RetryBudgetPolicy.Concurrent(12.5, 7));
        assertThat(upstream.connectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(upstream.idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(upstream.maxRequestsPerConnection()).isEqualTo(50);
        assertThat(upstream.keepalive()).isEqualTo(new UpstreamPolicy.TcpKeepalive(3, Duration.ofHours(2), null));
        assertThat(upstream.outlier()).isEqualTo(OutlierPolicy.builder()
                .consecutive5xxErrors(7).consecutiveGatewayErrors(2)
                .splitExternalLocalOriginErrors(true).consecutiveLocalOriginFailures(3)
                .interval(Duration.ofSeconds(5)).baseEjectionTime(Duration.ofMinutes(1)).maxEjectionPercent(50)
                .minHealthPercent(25).build());
        assertThat(spec.lbSettings().panicThresholdPercent()).isEqualTo(25);
        assertThat(spec.http2()).as("h2UpgradePolicy UPGRADE").isTrue();
    }

    @Test
    void anEmptyOutlierDetectionRunsIstiosDefaults() throws Exception {
        Cluster.Spec spec = runtime(orders(ordersRule("trafficPolicy: {outlierDetection: {}}"))).clusters().get(ORDERS).spec();
        assertThat(spec.upstream().outlier()).isEqualTo(OutlierPolicy.DEFAULT);
        assertThat(spec.upstream().outlier().consecutive5xxErrors()).isEqualTo(5);
        assertThat(spec.upstream().outlier().consecutiveGatewayErrors()).isZero();
        assertThat(spec.lbSettings().panicThresholdPercent()).as("Istio's minHealthPercent default").isZero();
        Cluster.Spec off = runtime(orders(ordersRule("trafficPolicy: {outlierDetection: {consecutive5xxErrors: 0}}")))
                .clusters().get(ORDERS).spec();
        assertThat(off.upstream().outlier().consecutive5xxErrors()).as("0 turns the detector off").isZero();
    }

    @Test
    void aRetryBudgetDocumentIsLinkerdsBudget() throws Exception {
        ProxyConfig config = runtime(orders("""
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: RetryBudget
                metadata: {name: orders, namespace: shop}
                spec: {host: orders, retryRatio: 0.5, minRetriesPerSecond: 3, ttl: 2.5s}
                """));
        assertThat(config.clusters().get(ORDERS).spec().upstream().retryBudget())
                .isEqualTo(new RetryBudgetPolicy.Rate(0.5, 3, Duration.ofMillis(2500)));
        assertThat(config.clusters().get("outbound|5432||ledger.shop.svc.cluster.local").spec().upstream().retryBudget())
                .as("another host's clusters").isNull();
    }

    @Test
    void aWarmupReachesTheBalancingSettings() throws Exception {
        Cluster.Spec spec = runtime(orders(ordersRule(
                "trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 1m, minimumPercent: 25, aggression: 2.5}}}")))
                .clusters().get(ORDERS).spec();
        assertThat(spec.lbPolicy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(spec.lbSettings().warmup()).isEqualTo(Duration.ofMinutes(1));
        assertThat(spec.lbSettings().warmupMinWeightPercent()).isEqualTo(25);
        assertThat(spec.lbSettings().warmupAggression()).isEqualTo(2.5);
        Cluster.Spec byDefault = runtime(orders(ordersRule("trafficPolicy: {loadBalancer: {warmupDurationSecs: 30s}}")))
                .clusters().get(ORDERS).spec();
        assertThat(byDefault.lbPolicy()).as("peak EWMA has no warm-up").isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(byDefault.lbSettings().warmup()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void endpointsCarryTheirLocalityAndThePriorityTheyHaveForThisProxy() throws Exception {
        Cluster.Spec failover = runtime(orders(ordersRule("""
                trafficPolicy:
                  outlierDetection: {}
                  loadBalancer: {localityLbSetting: {failover: [{from: us-west, to: eu-west}]}}
                """))).clusters().get(ORDERS).spec();
        assertThat(ranks(failover)).as("failover rules: locality weights apply").containsExactly(
                "10.0.0.1@us-west/zone1 0/1", "10.0.0.2@us-west/zone2 1/1", "10.0.0.3@eu-west/zone1 2/1");
        assertThat(failover.lbSettings().overprovisioningFactor()).isEqualTo(1.4);

        Cluster.Spec byDefault = runtime(orders(ordersRule("trafficPolicy: {outlierDetection: {}}"))).clusters().get(ORDERS).spec();
        assertThat(ranks(byDefault)).as("the default order: priorities without locality weights").containsExactly(
                "10.0.0.1@us-west/zone1 0/0", "10.0.0.2@us-west/zone2 1/0", "10.0.0.3@eu-west/zone1 2/0");

        Cluster.Spec distribute = runtime(orders(ordersRule("""
                trafficPolicy:
                  loadBalancer:
                    localityLbSetting: {distribute: [{from: "us-west/*", to: {"us-west/zone1": 75, "us-west/zone2": 25}}]}
                """))).clusters().get(ORDERS).spec();
        assertThat(ranks(distribute)).as("eu-west named by no rule takes no traffic").containsExactly(
                "10.0.0.1@us-west/zone1 0/75", "10.0.0.2@us-west/zone2 0/25");
        assertThat(distribute.lbPolicy()).isEqualTo(LbPolicy.PEAK_EWMA);
    }

    @Test
    void aQueryParameterHashKeyReachesTheRouteXdsAndTheProxysHashPolicy() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", orders(ordersRule(
                "trafficPolicy: {loadBalancer: {consistentHash: {httpQueryParameterName: user}}}")));
        XdsResources resources = ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0)).resources();
        assertThat(resources.routes().get("orders.shop.svc.cluster.local:80").getVirtualHosts(0).getRoutes(0).getRoute()
                .getHashPolicy(0).getQueryParameter().getName()).isEqualTo("user");
        assertThat(resources.clusters().get(ORDERS).getLbPolicy())
                .isEqualTo(io.envoyproxy.envoy.config.cluster.v3.Cluster.LbPolicy.RING_HASH);
        // The route's hash_policy is RouteAdapter's to read (VirtualService route settings); the key is HashPolicy.Key.QueryParameter.
    }

    @Test
    void clusterSettingsTrellisCannotRunAreRefusedByField() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", orders(ordersRule("trafficPolicy: {outlierDetection: {}}")));
        ProxyBootstrap proxy = mesh.proxies().get(0);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, proxy).resources();
        io.envoyproxy.envoy.config.cluster.v3.Cluster cluster = resources.clusters().get(ORDERS);
        io.envoyproxy.envoy.config.cluster.v3.Cluster successRate = cluster.toBuilder()
                .setOutlierDetection(cluster.getOutlierDetection().toBuilder().clearEnforcingSuccessRate()
                        .setEnforcingConsecutive5Xx(com.google.protobuf.UInt32Value.of(50)))
                .build();
        assertThatThrownBy(() -> adapter.adapt(proxy, resources.with(XdsType.CLUSTER, replace(resources.clusters(), ORDERS, successRate)), null))
                .hasMessageContaining("Cluster " + ORDERS + ": outlier_detection.enforcing_success_rate: unset, which Envoy reads as 100"
                        + " (expected: 0; Trellis ejects by consecutive errors only)")
                .hasMessageContaining("Cluster " + ORDERS + ": outlier_detection.enforcing_consecutive_5xx: 50"
                        + " (expected: 0 or 100; Trellis enforces a detector always or never)");

        io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment endpoints = resources.endpoints().get(ORDERS);
        io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment gap = endpoints.toBuilder()
                .setEndpoints(2, endpoints.getEndpoints(2).toBuilder().setPriority(5)).build();
        assertThatThrownBy(() -> adapter.adapt(proxy, resources.with(XdsType.ENDPOINT, replace(resources.endpoints(), ORDERS, gap)), null))
                .hasMessageContaining("Cluster " + ORDERS + ": endpoints: priorities [0, 1, 5] (expected: 0..2 without gaps, as Envoy requires)");

        io.envoyproxy.envoy.config.cluster.v3.Cluster bothBudgets = cluster.toBuilder()
                .setMetadata(MeshMetadata.cluster("orders.shop.svc.cluster.local", Optional.of(new RetryBudget(
                        mesh.proxies().get(0).meta(), "orders.shop.svc.cluster.local", 0.2, 10, Duration.ofSeconds(10)))))
                .setCircuitBreakers(cluster.getCircuitBreakers().toBuilder().setThresholds(0, cluster.getCircuitBreakers().getThresholds(0)
                        .toBuilder().setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.getDefaultInstance())))
                .build();
        assertThatThrownBy(() -> adapter.adapt(proxy, resources.with(XdsType.CLUSTER, replace(resources.clusters(), ORDERS, bothBudgets)), null))
                .hasMessageContaining("Cluster " + ORDERS + ": metadata.filter_metadata[trellis].retryBudget: set beside "
                        + "circuit_breakers.thresholds.retry_budget (expected: one retry budget, Envoy's or Linkerd's)");
    }

    @Test
    void everyListenerKindRoundTrips() throws Exception {
        assertThat(runtime(PROXY).listeners()).extracting(ListenerConfig::name, ListenerConfig::kind).containsExactlyInAnyOrder(
                tuple("inbound|15006", ListenerConfig.Kind.HTTP),
                tuple("outbound|9090|catalog.shop.svc.cluster.local:80", ListenerConfig.Kind.HTTP),
                tuple("outbound|9091|cache.shop.svc.cluster.local:6379", ListenerConfig.Kind.TCP),
                tuple("outbound|9092|search.shop.svc.cluster.local:80", ListenerConfig.Kind.HTTP));
    }

    // How requests are carried: each setting of a route, as the proxy's request policy.

    static final String CATALOG_LISTENER = "outbound|9090|catalog.shop.svc.cluster.local:80";

    /** The runtime config of PROXY with catalog's subsets and a VirtualService whose HTTP routes are {@code http}. */
    ProxyConfig withRoutes(String http) throws ConfigException {
        return runtime(PROXY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog, namespace: shop}
                spec:
                  host: catalog
                  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog, namespace: shop}
                spec:
                  hosts: [catalog]
                  http:
                """ + http.indent(2));
    }

    static RequestPolicy policyOf(ProxyConfig config, String uri) {
        return listener(config, CATALOG_LISTENER).routes().match(request(HttpMethod.GET, uri)).policy();
    }

    @Test
    void aRouteThatSaysNothingRetriesAsIstioDoesWithNoTimeout() throws Exception {
        for (ProxyConfig config : List.of(withRoutes("- route: [{destination: {host: catalog}}]"), runtime(PROXY))) {
            RequestPolicy policy = policyOf(config, "/");
            assertThat(policy.retry()).isEqualTo(RetryPolicy.ISTIO_DEFAULT);
            assertThat(policy.timeout()).isZero();
            assertThat(policy.grpcTimeoutMax()).as("grpc-timeout honoured, unbounded").isZero();
            assertThat(policy.mirrors()).isEmpty();
            assertThat(policy.fault()).isNull();
            assertThat(policy.rateLimit()).isNull();
        }
    }

    @Test
    void attempts0LeavesARouteWithoutRetries() throws Exception {
        assertThat(policyOf(withRoutes("- {route: [{destination: {host: catalog}}], retries: {attempts: 0}}"), "/").retry())
                .isEqualTo(RetryPolicy.NONE);
    }

    @Test
    void aStatedRetryPolicyKeepsEveryField() throws Exception {
        RetryPolicy retry = policyOf(withRoutes("""
                - route: [{destination: {host: catalog}}]
                  retries:
                    attempts: 3
                    perTryTimeout: 2s
                    retryOn: "5xx,reset,deadline-exceeded,resource-exhausted,503,429"
                    retryRemoteLocalities: true
                    retryIgnorePreviousHosts: false
                    backoff: 40ms
                """), "/").retry();
        assertThat(retry).isEqualTo(new RetryPolicy(3, Duration.ofSeconds(2),
                Set.of(RetryOn.FIVE_XX, RetryOn.RESET, RetryOn.GRPC_DEADLINE_EXCEEDED, RetryOn.GRPC_RESOURCE_EXHAUSTED,
                        RetryOn.RETRIABLE_STATUS_CODES),
                Set.of(503, 429), List.of(), false, 5, true, Duration.ofMillis(40), Duration.ofMillis(400)));
    }

    @Test
    void statusesInRetryOnArriveAsRetriableStatusCodes() throws Exception {
        RetryPolicy retry = policyOf(withRoutes("- {route: [{destination: {host: catalog}}], retries: {attempts: 2, retryOn: \"502,504\"}}"), "/")
                .retry();
        assertThat(retry.retryOn()).containsExactly(RetryOn.RETRIABLE_STATUS_CODES);
        assertThat(retry.retriableStatusCodes()).containsExactlyInAnyOrder(502, 504);
        assertThat(retry.numRetries()).isEqualTo(2);
        assertThat(retry.otherHosts()).isTrue();
    }

    @Test
    void aTimeoutBoundsTheRouteAndTheCallersGrpcTimeout() throws Exception {
        RequestPolicy policy = policyOf(withRoutes("- {route: [{destination: {host: catalog}}], timeout: 1500ms}"), "/");
        assertThat(policy.timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(policy.grpcTimeoutMax()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void aFaultIsTheRoutesAndItsListenerRunsTheFaultFilter() throws Exception {
        ProxyConfig config = withRoutes("""
                - match: [{uri: {prefix: /slow}}]
                  route: [{destination: {host: catalog}}]
                  fault:
                    delay: {fixedDelay: 1.5s, percentage: {value: 12.5}}
                    abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}
                - match: [{uri: {prefix: /broken}}]
                  route: [{destination: {host: catalog}}]
                  fault: {abort: {httpStatus: 503, percentage: {value: 0.5}}}
                - route: [{destination: {host: catalog}}]
                """);
        assertThat(policyOf(config, "/slow").fault()).isEqualTo(new Fault(new Fault.Delay(Duration.ofMillis(1500), 12.5),
                new Fault.Abort(0, 14, 100)));
        assertThat(policyOf(config, "/broken").fault()).isEqualTo(new Fault(null, new Fault.Abort(503, -1, 0.5)));
        assertThat(policyOf(config, "/other").fault()).isNull();
        assertThat(listener(config, CATALOG_LISTENER).http().filters()).containsExactly(new HttpOptions.Filter.FaultInjection(null));
        assertThat(listener(config, "outbound|9092|search.shop.svc.cluster.local:80").http().filters())
                .as("a listener whose routes inject no fault").isEmpty();
    }

    @Test
    void mirrorsNameClustersTheProxyHas() throws Exception {
        ProxyConfig config = withRoutes("""
                - route: [{destination: {host: catalog, subset: v1}}]
                  mirrors:
                  - {destination: {host: catalog, subset: v2}, percentage: {value: 25}}
                  - {destination: {host: search}}
                """);
        assertThat(policyOf(config, "/").mirrors()).containsExactly(
                new Mirror("outbound|80|v2|catalog.shop.svc.cluster.local", 25),
                new Mirror("outbound|80||search.shop.svc.cluster.local", 100));
        assertThat(config.clusters()).containsKeys("outbound|80|v2|catalog.shop.svc.cluster.local", "outbound|80||search.shop.svc.cluster.local");
    }

    static final String RATE_LIMIT = """
            ---
            apiVersion: trellis.dev/v1alpha1
            kind: LocalRateLimit
            metadata: {name: web, namespace: shop}
            spec:
              host: web
              tokenBucket: {maxTokens: 100, tokensPerFill: 10, fillInterval: 1s}
              routes:
              - {path: /expensive, tokenBucket: {maxTokens: 2, fillInterval: 500ms}}
              - {pathPrefix: /search/, tokenBucket: {maxTokens: 5, fillInterval: 1s}}
            """;

    @Test
    void aLocalRateLimitIsTheInboundListenersFilterWithABucketForEachPath() throws Exception {
        ListenerConfig inbound = listener(runtime(PROXY + RATE_LIMIT), "inbound|15006");
        assertThat(inbound.http().filters()).containsExactly(
                new HttpOptions.Filter.LocalRateLimit(new RateLimit(100, 10, Duration.ofSeconds(1))));
        assertThat(inbound.routes().match(request(HttpMethod.GET, "/expensive")).policy().rateLimit())
                .isEqualTo(new RateLimit(2, 1, Duration.ofMillis(500)));
        assertThat(inbound.routes().match(request(HttpMethod.GET, "/expensive/not")).policy().rateLimit())
                .as("an exact path").isNull();
        assertThat(inbound.routes().match(request(HttpMethod.GET, "/search/books?q=1")).policy().rateLimit())
                .isEqualTo(new RateLimit(5, 1, Duration.ofSeconds(1)));
        Route other = inbound.routes().match(request(HttpMethod.GET, "/other"));
        assertThat(other.policy().rateLimit()).as("the listener's bucket applies").isNull();
        assertThat(other.policy().retry()).as("no retries inbound").isEqualTo(RetryPolicy.NONE);
        assertThat(inbound.routes().routes()).extracting(r -> r.clusters().get(0).name()).containsOnly("inbound|8080||");
        assertThat(listener(runtime(PROXY), "inbound|15006").http()).isEqualTo(HttpOptions.DEFAULT);
    }

    /** The resources of PROXY and {@code yaml}, with the first route of {@code routes} changed by {@code change}. */
    static XdsResources changeRoute(String yaml, String routes, java.util.function.Consumer<io.envoyproxy.envoy.config.route.v3.Route.Builder> change)
            throws ConfigException {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY + yaml);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0)).resources();
        RouteConfiguration.Builder config = resources.routes().get(routes).toBuilder();
        change.accept(config.getVirtualHostsBuilder(0).getRoutesBuilder(0));
        return resources.with(XdsType.ROUTE, replace(resources.routes(), routes, config.build()));
    }

    ProxyBootstrap proxy() throws ConfigException {
        return ConfigLoader.parse("mesh.yaml", PROXY).proxies().get(0);
    }

    @Test
    void whatThePolicyCannotHonourIsRefusedByField() throws Exception {
        String routes = "catalog.shop.svc.cluster.local:80";
        String where = "RouteConfiguration " + routes + ": virtual_hosts[0].routes[0]";
        XdsResources changed = changeRoute("", routes, route -> {
            RouteAction.Builder action = route.getRouteBuilder();
            action.getRetryPolicyBuilder().setRetryOn("5xx,envoy-ratelimited")
                    .addRetryHostPredicate(io.envoyproxy.envoy.config.route.v3.RetryPolicy.RetryHostPredicate.newBuilder().setName("envoy.retry_host_predicates.omit_canary_hosts"));
            action.getMaxStreamDurationBuilder().setMaxStreamDuration(com.google.protobuf.Duration.newBuilder().setSeconds(5));
            action.addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder().setCluster("outbound|80||catalog.shop.svc.cluster.local")
                    .setTraceSampled(com.google.protobuf.BoolValue.of(false)));
            route.putTypedPerFilterConfig("envoy.filters.http.fault", Any.pack(HTTPFault.newBuilder()
                    .setAbort(FaultAbort.newBuilder().setHeaderAbort(FaultAbort.HeaderAbort.getDefaultInstance()))
                    .setMaxActiveFaults(com.google.protobuf.UInt32Value.of(3)).build()));
        });
        assertThatThrownBy(() -> adapter.adapt(proxy(), changed, null)).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).contains(
                        where + ".route.retry_policy.retry_on: \"envoy-ratelimited\" is not a condition Trellis retries on (expected: "
                                + "5xx, gateway-error, reset, connect-failure, refused-stream, retriable-4xx, retriable-status-codes, "
                                + "retriable-headers, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable)",
                        where + ".route.retry_policy.retry_host_predicate[1]: envoy.retry_host_predicates.omit_canary_hosts "
                                + "(expected: envoy.retry_host_predicates.previous_hosts with a PreviousHostsPredicate)",
                        where + ".route.max_stream_duration.max_stream_duration: PT5S (expected: 0s or unset; Trellis limits a"
                                + " request by the route's timeout)",
                        where + ".route.request_mirror_policies[0].trace_sampled: not supported by Trellis (expected: unset)",
                        where + ".typed_per_filter_config[\"envoy.filters.http.fault\"].max_active_faults: not supported by Trellis (expected: unset)",
                        where + ".typed_per_filter_config[\"envoy.filters.http.fault\"].abort.header_abort: not supported by Trellis (expected: unset)",
                        where + ".typed_per_filter_config[\"envoy.filters.http.fault\"].abort: HEADER_ABORT (expected: http_status or grpc_status)"));
    }

    @Test
    void aRateLimitThatLimitsSomeRequestsOnlyIsRefused() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY + RATE_LIMIT);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0)).resources();
        var listener = resources.listeners().get("inbound|15006").toBuilder();
        var filter = listener.getFilterChainsBuilder(0).getFiltersBuilder(0);
        HttpConnectionManager.Builder hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class).toBuilder();
        LocalRateLimit.Builder limit = hcm.getHttpFilters(0).getTypedConfig().unpack(LocalRateLimit.class).toBuilder();
        limit.getFilterEnforcedBuilder().setRuntimeKey("local_rate_limit_enforced").getDefaultValueBuilder().setNumerator(500_000);
        hcm.getHttpFiltersBuilder(0).setTypedConfig(Any.pack(limit.build()));
        hcm.setStreamIdleTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(30));
        filter.setTypedConfig(Any.pack(hcm.build()));
        XdsResources changed = resources.with(XdsType.LISTENER, replace(resources.listeners(), "inbound|15006", listener.build()));
        String where = "Listener inbound|15006: filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.filter_enforced";
        assertThatThrownBy(() -> adapter.adapt(mesh.proxies().get(0), changed, null))
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        where + ".runtime_key: not supported by Trellis (expected: unset)",
                        where + ".default_value: 50.0% (expected: 100% or 0%; Trellis limits every request or none)"));
    }

    @Test
    void theStreamIdleTimeoutIsTheListeners() throws Exception {
        MeshConfig mesh = ConfigLoader.parse("mesh.yaml", PROXY);
        XdsResources resources = ProxySnapshotBuilder.build(mesh, mesh.proxies().get(0)).resources();
        var listener = resources.listeners().get(CATALOG_LISTENER).toBuilder();
        var filter = listener.getFilterChainsBuilder(0).getFiltersBuilder(0);
        filter.setTypedConfig(Any.pack(filter.getTypedConfig().unpack(HttpConnectionManager.class).toBuilder()
                .setStreamIdleTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(30)).build()));
        ProxyConfig config = adapter.adapt(mesh.proxies().get(0),
                resources.with(XdsType.LISTENER, replace(resources.listeners(), CATALOG_LISTENER, listener.build())), null);
        assertThat(listener(config, CATALOG_LISTENER).http().streamIdleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(listener(config, "inbound|15006").http().streamIdleTimeout()).as("Envoy's default").isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void aFaultForAFilterTheListenerDoesNotRunIsLeftUnusedAsInEnvoy() throws Exception {
        String routes = "catalog.shop.svc.cluster.local:80";
        XdsResources changed = changeRoute("", routes, route -> route.putTypedPerFilterConfig("envoy.filters.http.fault",
                Any.pack(HTTPFault.newBuilder().setAbort(FaultAbort.newBuilder().setHttpStatus(500)
                        .setPercentage(io.envoyproxy.envoy.type.v3.FractionalPercent.newBuilder().setNumerator(100))).build())));
        ProxyConfig config = adapter.adapt(proxy(), changed, null);
        assertThat(listener(config, CATALOG_LISTENER).http().filters()).isEmpty();
        assertThat(policyOf(config, "/").fault()).isNull();
    }
}
