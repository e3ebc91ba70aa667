package dev.trellis.config.istio;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.ConfigException;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancer.HashKey;
import dev.trellis.model.LoadBalancer.Simple.Algorithm;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.LoadBalancerSettings.Warmup;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DestinationRuleReaderTest {
    private static final String PREFIX = "test.yaml (document 1) DestinationRule default/catalog: ";

    /** A DestinationRule for catalog whose load balancer is {@code loadBalancer}, indented by 6. */
    private static String withLoadBalancer(String loadBalancer) {
        return """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy:
                    loadBalancer:
                """ + loadBalancer.indent(6);
    }

    private static Optional<LoadBalancer> loadBalancer(String yaml) throws ConfigException {
        return settings(yaml).algorithm();
    }

    private static LoadBalancerSettings settings(String yaml) throws ConfigException {
        return read(withLoadBalancer(yaml)).destinationRules().get(0).trafficPolicy().loadBalancer().orElseThrow();
    }

    @ParameterizedTest
    @CsvSource({"ROUND_ROBIN, ROUND_ROBIN", "LEAST_REQUEST, LEAST_REQUEST", "LEAST_CONN, LEAST_REQUEST", "RANDOM, RANDOM"})
    void readsSimpleAlgorithmsWithLeastConnAsLeastRequest(String given, Algorithm expected) throws ConfigException {
        assertThat(loadBalancer("simple: " + given)).contains(new LoadBalancer.Simple(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"PASSTHROUGH", "UNSPECIFIED"})
    void rejectsSimpleAlgorithmsTrellisDoesNotImplement(String given) {
        assertThat(problem(withLoadBalancer("simple: " + given)))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.simple: \"" + given + "\" is not implemented yet "
                        + "(expected: one of ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM)");
    }

    @Test
    void readsEachConsistentHashKey() throws ConfigException {
        assertThat(loadBalancer("consistentHash: {httpHeaderName: X-User}"))
                .contains(new LoadBalancer.ConsistentHash(new HashKey.Header("x-user")));
        assertThat(loadBalancer("consistentHash: {useSourceIp: true}"))
                .contains(new LoadBalancer.ConsistentHash(new HashKey.SourceIp()));
        assertThat(loadBalancer("consistentHash: {httpCookie: {name: sid, path: /shop, ttl: 1h30m}}"))
                .contains(new LoadBalancer.ConsistentHash(new HashKey.Cookie("sid", "/shop", Duration.ofMinutes(90))));
        assertThat(loadBalancer("consistentHash: {httpCookie: {name: sid, ttl: 0s}}"))
                .contains(new LoadBalancer.ConsistentHash(new HashKey.Cookie("sid", "/", Duration.ZERO)));
        assertThat(loadBalancer("consistentHash: {httpQueryParameterName: User}"))
                .as("as sent: Envoy compares query parameter names case-sensitively")
                .contains(new LoadBalancer.ConsistentHash(new HashKey.QueryParameter("User")));
    }

    @Test
    void withoutAnAlgorithmTheDefaultIsLeftToTheClusterBuilder() throws ConfigException {
        assertThat(settings("localityLbSetting: {enabled: false}").algorithm()).isEmpty();
        assertThat(problem(withLoadBalancer("{}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer: {} (expected: at least one of simple, consistentHash, "
                        + "localityLbSetting, warmup, warmupDurationSecs)");
    }

    @Test
    void readsWarmupAndTheOlderWarmupDurationSecs() throws ConfigException {
        assertThat(settings("{simple: ROUND_ROBIN, warmupDurationSecs: 90s}").warmup())
                .contains(new Warmup(Duration.ofSeconds(90), 10, 1));
        assertThat(settings("{simple: LEAST_REQUEST, warmup: {duration: 1m, minimumPercent: 25, aggression: 2.5}}").warmup())
                .contains(new Warmup(Duration.ofMinutes(1), 25, 2.5));
        assertThat(settings("warmup: {duration: 30s}").warmup()).as("with the default algorithm")
                .contains(new Warmup(Duration.ofSeconds(30), 10, 1));
        assertThat(settings("simple: RANDOM").warmup()).isEmpty();
    }

    @Test
    void aWarmupIsRefusedWhereEnvoyWouldNotSlowTheStart() {
        assertThat(problems(withLoadBalancer("""
                simple: ROUND_ROBIN
                warmupDurationSecs: 10s
                warmup: {duration: 10s}
                """))).containsExactly(PREFIX + "spec.trafficPolicy.loadBalancer.warmupDurationSecs: \"10s\" beside warmup, "
                + "which Istio would use alone (expected: warmup or warmupDurationSecs)");
        assertThat(problem(withLoadBalancer("{simple: RANDOM, warmupDurationSecs: 10s}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.warmupDurationSecs: Envoy slows the start of round robin"
                        + " and least request only, and Istio ignores it beside simple \"RANDOM\" (expected: simple ROUND_ROBIN"
                        + " or LEAST_REQUEST, or no warm-up)");
        assertThat(problem(withLoadBalancer("{consistentHash: {useSourceIp: true}, warmup: {duration: 10s}}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.warmup: Envoy slows the start of round robin"
                        + " and least request only, and Istio ignores it beside consistentHash (expected: simple ROUND_ROBIN"
                        + " or LEAST_REQUEST, or no warm-up)");
    }

    @Test
    void warmupFieldsAreChecked() {
        assertThat(problems(withLoadBalancer("warmup: {minimumPercent: 120, aggression: 0}"))).containsExactly(
                PREFIX + "spec.trafficPolicy.loadBalancer.warmup.duration: missing (expected: a duration such as 60s)",
                PREFIX + "spec.trafficPolicy.loadBalancer.warmup.minimumPercent: 120 (expected: 0..100)",
                PREFIX + "spec.trafficPolicy.loadBalancer.warmup.aggression: 0 (expected: a number above 0 (1 ramps up linearly))");
        assertThat(problem(withLoadBalancer("warmupDurationSecs: 100us"))).isEqualTo(PREFIX
                + "spec.trafficPolicy.loadBalancer.warmupDurationSecs: \"100us\" (expected: a duration of 1ms or more, in whole milliseconds)");
    }

    @Test
    void aConsistentHashHasExactlyOneImplementedKey() {
        assertThat(problem(withLoadBalancer("consistentHash: {httpHeaderName: x-user, useSourceIp: true}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash: "
                        + "{\"httpHeaderName\":\"x-user\",\"useSourceIp\":true} "
                        + "(expected: exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName)");
        assertThat(problem(withLoadBalancer("consistentHash: {ringHash: {minimumRingSize: 1024}}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash.ringHash: "
                        + "not implemented yet (expected: one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName)");
        assertThat(problem(withLoadBalancer("consistentHash: {httpQueryParameterName: \"\"}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash.httpQueryParameterName: \"\" "
                        + "(expected: a query parameter name)");
        assertThat(problem(withLoadBalancer("consistentHash: {useSourceIp: false}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp: false "
                        + "(expected: true, or another hash key)");
    }

    @Test
    void aCookieNeedsANameAndATtl() {
        assertThat(problems(withLoadBalancer("consistentHash: {httpCookie: {path: /, ttl: 10 minutes}}")))
                .containsExactly(
                        PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: missing "
                                + "(expected: a cookie name)",
                        PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl: \"10 minutes\" "
                                + "(expected: a duration such as 10s, 1m, 1h30m or 0s)");
    }

    @Test
    void unimplementedPolicyFieldsAreRejected() {
        assertThat(problems("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  workloadSelector: {matchLabels: {app: web}}
                  trafficPolicy:
                    tls: {mode: ISTIO_MUTUAL}
                    tunnel: {targetHost: x}
                    retryBudget: {budgetInterval: 1s}
                    connectionPool:
                      tcp: {maxConnectionDuration: 1h, idleTimeout: 1h}
                      http: {useClientProtocol: true, maxConcurrentStreams: 10}
                    portLevelSettings: [{port: {number: 80}, tls: {mode: SIMPLE}}]
                """)).containsExactly(
                PREFIX + "spec.workloadSelector: not implemented yet (expected: one of host, trafficPolicy, subsets)",
                PREFIX + "spec.trafficPolicy.tls: not implemented yet (expected: one of loadBalancer, connectionPool, "
                        + "outlierDetection, retryBudget, portLevelSettings)",
                PREFIX + "spec.trafficPolicy.tunnel: not implemented yet (expected: one of loadBalancer, connectionPool, "
                        + "outlierDetection, retryBudget, portLevelSettings)",
                PREFIX + "spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration: not implemented yet "
                        + "(expected: one of maxConnections, connectTimeout, tcpKeepalive)",
                PREFIX + "spec.trafficPolicy.connectionPool.tcp.idleTimeout: not implemented yet "
                        + "(expected: one of maxConnections, connectTimeout, tcpKeepalive)",
                PREFIX + "spec.trafficPolicy.connectionPool.http.useClientProtocol: not implemented yet (expected: one of "
                        + "http1MaxPendingRequests, http2MaxRequests, maxRequestsPerConnection, maxRetries, idleTimeout, h2UpgradePolicy)",
                PREFIX + "spec.trafficPolicy.connectionPool.http.maxConcurrentStreams: not implemented yet (expected: one of "
                        + "http1MaxPendingRequests, http2MaxRequests, maxRequestsPerConnection, maxRetries, idleTimeout, h2UpgradePolicy)",
                PREFIX + "spec.trafficPolicy.retryBudget.budgetInterval: not implemented yet (expected: one of percent, minRetryConcurrency)",
                PREFIX + "spec.trafficPolicy.portLevelSettings[0].tls: not implemented yet "
                        + "(expected: one of port, loadBalancer, connectionPool, outlierDetection)");
    }

    @Test
    void subsetsNeedUniqueNamesAndLabels() {
        assertThat(problems("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  subsets:
                  - name: v1
                    labels: {version: v1}
                  - name: v1
                    labels: {}
                  - name: V2
                    trafficPolicy: {loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}}
                """)).containsExactly(
                PREFIX + "spec.subsets[1].name: \"v1\" (expected: a name not used by spec.subsets[0].name)",
                PREFIX + "spec.subsets[1].labels: {} (expected: a non-empty map of labels)",
                PREFIX + "spec.subsets[2].name: \"V2\" (expected: a DNS label: lower-case letters, digits and '-', "
                        + "at most 63 characters)",
                PREFIX + "spec.subsets[2].labels: missing (expected: a non-empty map of labels)",
                PREFIX + "spec.subsets[2].trafficPolicy.loadBalancer: "
                        + "{\"simple\":\"RANDOM\",\"consistentHash\":{\"useSourceIp\":true}} "
                        + "(expected: exactly one of simple, consistentHash)");
    }

    @Test
    void theHostIsRequiredAndQualified() throws ConfigException {
        assertThat(problem("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec: {}
                """)).isEqualTo(PREFIX + "spec.host: missing (expected: a host name such as catalog or api.example.com)");
        assertThat(read("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog, namespace: shop}
                spec: {host: catalog}
                """).destinationRule("catalog.shop.svc.cluster.local")).isPresent();
    }
}
