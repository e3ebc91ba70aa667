package dev.trellis.config.istio;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.ConfigException;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancer.HashKey;
import dev.trellis.model.LoadBalancer.Simple.Algorithm;
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
        return read(withLoadBalancer(yaml)).destinationRules().get(0).trafficPolicy().loadBalancer();
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
    }

    @Test
    void aConsistentHashHasExactlyOneImplementedKey() {
        assertThat(problem(withLoadBalancer("consistentHash: {httpHeaderName: x-user, useSourceIp: true}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash: "
                        + "{\"httpHeaderName\":\"x-user\",\"useSourceIp\":true} "
                        + "(expected: exactly one of httpHeaderName, httpCookie, useSourceIp)");
        assertThat(problem(withLoadBalancer("consistentHash: {httpQueryParameterName: user}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.loadBalancer.consistentHash.httpQueryParameterName: "
                        + "not implemented yet (expected: one of httpHeaderName, httpCookie, useSourceIp)");
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
                    connectionPool: {tcp: {maxConnections: 100}}
                    outlierDetection: {consecutive5xxErrors: 5}
                    tls: {mode: ISTIO_MUTUAL}
                    loadBalancer:
                      simple: RANDOM
                      localityLbSetting: {enabled: true}
                      warmup: {duration: 10s}
                """)).containsExactly(
                PREFIX + "spec.workloadSelector: not implemented yet (expected: one of host, trafficPolicy, subsets)",
                PREFIX + "spec.trafficPolicy.connectionPool: not implemented yet (expected: loadBalancer)",
                PREFIX + "spec.trafficPolicy.outlierDetection: not implemented yet (expected: loadBalancer)",
                PREFIX + "spec.trafficPolicy.tls: not implemented yet (expected: loadBalancer)",
                PREFIX + "spec.trafficPolicy.loadBalancer.localityLbSetting: not implemented yet "
                        + "(expected: one of simple, consistentHash)",
                PREFIX + "spec.trafficPolicy.loadBalancer.warmup: not implemented yet "
                        + "(expected: one of simple, consistentHash)");
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
