package dev.trellis.config.istio;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.config.Documents;
import dev.trellis.model.ConcurrentRetryBudget;
import dev.trellis.model.ConfigException;
import dev.trellis.model.ConnectionPool;
import dev.trellis.model.ConnectionPool.H2UpgradePolicy;
import dev.trellis.model.DestinationRule;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.OutlierDetection;
import dev.trellis.model.TrafficPolicy;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class TrafficPolicyReaderTest {
    private static final String PREFIX = "test.yaml (document 1) DestinationRule default/catalog: ";

    /** A DestinationRule for catalog whose spec, below its host, is {@code rest}. */
    private static String rule(String rest) {
        return """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                """ + rest.indent(2);
    }

    private static DestinationRule read(String rest) throws ConfigException {
        return Documents.read(rule(rest)).destinationRules().get(0);
    }

    private static TrafficPolicy policy(String trafficPolicy) throws ConfigException {
        return read("trafficPolicy:\n" + trafficPolicy.indent(2)).trafficPolicy();
    }

    @Test
    void readsEveryConnectionPoolField() throws ConfigException {
        ConnectionPool pool = policy("""
                connectionPool:
                  tcp:
                    maxConnections: 100
                    connectTimeout: 250ms
                    tcpKeepalive: {probes: 3, time: 2h, interval: 75s}
                  http:
                    http1MaxPendingRequests: 10
                    http2MaxRequests: 1000
                    maxRequestsPerConnection: 50
                    maxRetries: 4
                    idleTimeout: 90s
                    h2UpgradePolicy: UPGRADE
                """).connectionPool().orElseThrow();
        assertThat(pool).isEqualTo(new ConnectionPool(100, Optional.of(Duration.ofMillis(250)),
                Optional.of(new ConnectionPool.TcpKeepalive(OptionalInt.of(3), Optional.of(Duration.ofHours(2)),
                        Optional.of(Duration.ofSeconds(75)))),
                10, 1000, 50, 4, Optional.of(Duration.ofSeconds(90)), H2UpgradePolicy.UPGRADE));
    }

    @Test
    void connectionPoolFieldsLeftOutAreUnsetAsInIstio() throws ConfigException {
        assertThat(policy("connectionPool: {tcp: {tcpKeepalive: {}}}").connectionPool()).contains(new ConnectionPool(0, Optional.empty(),
                Optional.of(new ConnectionPool.TcpKeepalive(OptionalInt.empty(), Optional.empty(), Optional.empty())),
                0, 0, 0, 0, Optional.empty(), H2UpgradePolicy.DEFAULT));
        assertThat(policy("connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE}}").connectionPool().orElseThrow()
                .h2UpgradePolicy()).isEqualTo(H2UpgradePolicy.DO_NOT_UPGRADE);
    }

    @Test
    void connectionPoolValuesAreChecked() {
        assertThat(problems(rule("""
                trafficPolicy:
                  connectionPool:
                    tcp: {maxConnections: -1, connectTimeout: 0s, tcpKeepalive: {probes: 0, time: 1500ms, interval: 0s}}
                    http: {maxRetries: 2147483648, idleTimeout: 1h, h2UpgradePolicy: ALWAYS}
                """))).containsExactly(
                PREFIX + "spec.trafficPolicy.connectionPool.tcp.maxConnections: -1 (expected: 0..2147483647)",
                PREFIX + "spec.trafficPolicy.connectionPool.tcp.connectTimeout: \"0s\" (expected: a duration of 1ms or more, in whole milliseconds)",
                PREFIX + "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.probes: 0 (expected: 1..2147483647)",
                PREFIX + "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time: \"1500ms\" (expected: whole seconds, 1s or more "
                        + "(Envoy counts keep-alive times in seconds))",
                PREFIX + "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.interval: \"0s\" (expected: whole seconds, 1s or more "
                        + "(Envoy counts keep-alive times in seconds))",
                PREFIX + "spec.trafficPolicy.connectionPool.http.maxRetries: 2147483648 (expected: 0..2147483647)",
                PREFIX + "spec.trafficPolicy.connectionPool.http.h2UpgradePolicy: \"ALWAYS\" "
                        + "(expected: one of DEFAULT, DO_NOT_UPGRADE, UPGRADE)");
        assertThat(problem(rule("trafficPolicy: {connectionPool: {}}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.connectionPool: {} (expected: at least one of tcp, http, as Istio requires)");
    }

    @Test
    void readsEveryOutlierDetectionFieldKeepingWhichAreSet() throws ConfigException {
        assertThat(policy("""
                outlierDetection:
                  consecutive5xxErrors: 7
                  consecutiveGatewayErrors: 0
                  splitExternalLocalOriginErrors: true
                  consecutiveLocalOriginFailures: 2
                  interval: 5s
                  baseEjectionTime: 1m
                  maxEjectionPercent: 50
                  minHealthPercent: 25
                  consecutiveErrors: 0
                """).outlierDetection()).contains(new OutlierDetection(OptionalInt.of(7), OptionalInt.of(0), true, 2,
                Optional.of(Duration.ofSeconds(5)), Optional.of(Duration.ofMinutes(1)), 50, 25));
        assertThat(policy("outlierDetection: {}").outlierDetection()).contains(new OutlierDetection(OptionalInt.empty(),
                OptionalInt.empty(), false, 0, Optional.empty(), Optional.empty(), 0, 0));
    }

    @Test
    void outlierDetectionValuesAreCheckedAndTheDeprecatedConsecutiveErrorsIsRefused() {
        assertThat(problems(rule("""
                trafficPolicy:
                  outlierDetection:
                    consecutiveErrors: 5
                    consecutiveLocalOriginFailures: 3
                    maxEjectionPercent: 101
                    minHealthPercent: -1
                    interval: 1.5ms
                """))).containsExactly(
                PREFIX + "spec.trafficPolicy.outlierDetection.consecutiveErrors: 5 is deprecated and has no effect, as in Istio "
                        + "since 1.7 (expected: consecutive5xxErrors or consecutiveGatewayErrors)",
                PREFIX + "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: 3 while splitExternalLocalOriginErrors "
                        + "is false, as Istio refuses (expected: splitExternalLocalOriginErrors: true beside it)",
                PREFIX + "spec.trafficPolicy.outlierDetection.interval: \"1.5ms\" (expected: a duration of 1ms or more, in whole milliseconds)",
                PREFIX + "spec.trafficPolicy.outlierDetection.maxEjectionPercent: 101 (expected: 0..100)",
                PREFIX + "spec.trafficPolicy.outlierDetection.minHealthPercent: -1 (expected: 0..100)");
    }

    @Test
    void readsTheRetryBudgetWithIstiosDefaults() throws ConfigException {
        assertThat(policy("retryBudget: {percent: 12.5, minRetryConcurrency: 7}").retryBudget())
                .contains(new ConcurrentRetryBudget(12.5, 7));
        assertThat(policy("retryBudget: {}").retryBudget()).contains(new ConcurrentRetryBudget(20, 3));
        assertThat(policy("retryBudget: {minRetryConcurrency: 0}").retryBudget()).as("0 is unset, as in Istio")
                .contains(new ConcurrentRetryBudget(20, 3));
        assertThat(problem(rule("trafficPolicy: {retryBudget: {percent: 100.5}}")))
                .isEqualTo(PREFIX + "spec.trafficPolicy.retryBudget.percent: 100.5 (expected: 0..100)");
    }

    @Test
    void aPortLevelEntryReplacesTheRulesPolicyForItsPortAndInheritsNothing() throws ConfigException {
        DestinationRule rule = read("""
                trafficPolicy:
                  loadBalancer: {simple: ROUND_ROBIN}
                  connectionPool: {tcp: {maxConnections: 10}}
                  retryBudget: {percent: 30}
                  portLevelSettings:
                  - port: {number: 8080}
                    loadBalancer: {simple: RANDOM}
                subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    outlierDetection: {consecutive5xxErrors: 3}
                - name: v2
                  labels: {version: v2}
                  trafficPolicy:
                    retryBudget: {percent: 40}
                    portLevelSettings:
                    - port: {number: 80}
                      connectionPool: {http: {maxRetries: 9}}
                """);
        LoadBalancerSettings roundRobin = LoadBalancerSettings.of(new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.ROUND_ROBIN));
        LoadBalancerSettings random = LoadBalancerSettings.of(new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.RANDOM));

        TrafficPolicy port80 = rule.policyFor(Optional.empty(), 80);
        assertThat(port80.loadBalancer()).contains(roundRobin);
        assertThat(port80.connectionPool().orElseThrow().maxConnections()).isEqualTo(10);
        assertThat(port80.retryBudget()).contains(new ConcurrentRetryBudget(30, 3));
        assertThat(port80.portLevelSettings()).isEmpty();

        TrafficPolicy port8080 = rule.policyFor(Optional.empty(), 8080);
        assertThat(port8080.loadBalancer()).contains(random);
        assertThat(port8080.connectionPool()).as("not inherited").isEmpty();
        assertThat(port8080.retryBudget()).as("a port-level entry carries none, as in Istio").isEmpty();

        TrafficPolicy v1 = rule.policyFor(rule.subset("v1"), 8080);
        assertThat(v1.loadBalancer()).as("the rule's for the port").contains(random);
        assertThat(v1.outlierDetection()).as("the subset's own").isPresent();

        TrafficPolicy v2At80 = rule.policyFor(rule.subset("v2"), 80);
        assertThat(v2At80.connectionPool().orElseThrow().maxRetries()).isEqualTo(9);
        assertThat(v2At80.loadBalancer()).as("the subset's port-level entry inherits nothing").isEmpty();
        assertThat(v2At80.retryBudget()).as("nor the subset's retry budget, so the rule's applies")
                .contains(new ConcurrentRetryBudget(30, 3));
        assertThat(rule.policyFor(rule.subset("v2"), 81).retryBudget()).contains(new ConcurrentRetryBudget(40, 3));
    }

    @Test
    void portLevelEntriesNeedADistinctPort() {
        assertThat(problems(rule("""
                trafficPolicy:
                  portLevelSettings:
                  - {port: {number: 80}, loadBalancer: {simple: RANDOM}}
                  - {port: {number: 80}, loadBalancer: {simple: ROUND_ROBIN}}
                  - {loadBalancer: {simple: ROUND_ROBIN}}
                  - {port: {name: http}}
                """))).containsExactly(
                PREFIX + "spec.trafficPolicy.portLevelSettings[1].port.number: 80 "
                        + "(expected: a port not used by spec.trafficPolicy.portLevelSettings[0].port.number)",
                PREFIX + "spec.trafficPolicy.portLevelSettings[2].port: missing (expected: an object with fields number)",
                PREFIX + "spec.trafficPolicy.portLevelSettings[3].port.name: unknown field (expected: number)",
                PREFIX + "spec.trafficPolicy.portLevelSettings[3].port.number: missing (expected: an integer in 1..65535)");
    }

    @Test
    void failoverWithoutOutlierDetectionIsRefusedCitingIstio() {
        String reason = ": set without outlierDetection: Istio fails over only as outlier detection ejects endpoints, so traffic"
                + " would never fail over (expected: outlierDetection ";
        assertThat(problems(rule("""
                trafficPolicy:
                  loadBalancer: {localityLbSetting: {failover: [{from: us-west, to: us-east}]}}
                  portLevelSettings:
                  - port: {number: 80}
                    loadBalancer: {localityLbSetting: {failoverPriority: [version]}}
                subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    loadBalancer: {localityLbSetting: {failoverPriority: [version]}}
                """))).containsExactly(
                PREFIX + "spec.trafficPolicy.portLevelSettings[0].loadBalancer.localityLbSetting.failoverPriority" + reason
                        + "in the same port-level entry, which inherits none)",
                PREFIX + "spec.trafficPolicy.loadBalancer.localityLbSetting.failover" + reason + "in the same trafficPolicy)",
                PREFIX + "spec.subsets[0].trafficPolicy.loadBalancer.localityLbSetting.failoverPriority" + reason
                        + "in this trafficPolicy, or in the rule's for every port)");
    }

    @Test
    void aSubsetsFailoverMayUseTheOutlierDetectionItInheritsOnEveryPort() throws ConfigException {
        String subset = """
                subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    loadBalancer: {localityLbSetting: {failover: [{from: us-west, to: us-east}]}}
                """;
        assertThat(read("trafficPolicy: {outlierDetection: {}}\n" + subset).subsets()).hasSize(1);
        assertThat(problem(rule("""
                trafficPolicy:
                  outlierDetection: {}
                  portLevelSettings: [{port: {number: 80}, connectionPool: {tcp: {maxConnections: 1}}}]
                """ + subset))).as("port 80's policy has none to inherit")
                .startsWith(PREFIX + "spec.subsets[0].trafficPolicy.loadBalancer.localityLbSetting.failover: set without outlierDetection");
        assertThat(read("trafficPolicy: {loadBalancer: {localityLbSetting: {failover: []}}}").trafficPolicy()
                .loadBalancer()).as("an empty failover list sets none").isPresent();
    }
}
