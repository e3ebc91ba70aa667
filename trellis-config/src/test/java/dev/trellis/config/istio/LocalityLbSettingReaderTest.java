package dev.trellis.config.istio;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.ConfigException;
import dev.trellis.model.LocalityLbSetting;
import dev.trellis.model.LocalityLbSetting.Distribute;
import dev.trellis.model.LocalityLbSetting.Failover;
import dev.trellis.model.LocalityLbSetting.Weight;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalityLbSettingReaderTest {
    private static final String PREFIX = "test.yaml (document 1) DestinationRule default/catalog: ";
    private static final String AT = PREFIX + "spec.trafficPolicy.loadBalancer.localityLbSetting";

    /** A DestinationRule whose localityLbSetting is {@code setting}, with outlier detection. */
    private static String rule(String setting) {
        return """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy:
                    outlierDetection: {consecutive5xxErrors: 3}
                    loadBalancer:
                      localityLbSetting:
                """ + setting.indent(8);
    }

    private static LocalityLbSetting setting(String yaml) throws ConfigException {
        return read(rule(yaml)).destinationRules().get(0).trafficPolicy().loadBalancer().orElseThrow().locality().orElseThrow();
    }

    @Test
    void readsDistributeFailoverAndFailoverPriority() throws ConfigException {
        assertThat(setting("""
                distribute:
                - from: us-west/zone1/*
                  to: {"us-west/zone1/*": 80, "us-west/zone2/*": 20}
                - from: us-east
                  to: {"*": 100}
                """)).isEqualTo(new LocalityLbSetting(true, List.of(
                        new Distribute("us-west/zone1/*", List.of(new Weight("us-west/zone1/*", 80), new Weight("us-west/zone2/*", 20))),
                        new Distribute("us-east", List.of(new Weight("*", 100)))),
                List.of(), List.of()));
        assertThat(setting("""
                failover: [{from: us-west, to: us-east}]
                failoverPriority: [version, "topology.istio.io/network=net1"]
                """)).isEqualTo(new LocalityLbSetting(true, List.of(), List.of(new Failover("us-west", "us-east")),
                List.of("version", "topology.istio.io/network=net1")));
        assertThat(setting("{enabled: false}")).isEqualTo(LocalityLbSetting.DISABLED);
        assertThat(setting("{enabled: true}")).isEqualTo(LocalityLbSetting.DEFAULT);
    }

    @Test
    void distributeWeightsAreOneToAHundredAndAddUpToAHundred() {
        assertThat(problems(rule("""
                distribute:
                - {from: us-west, to: {us-west: 70, us-east: 20}}
                - {from: us-east, to: {us-east: 0, us-west: 100}}
                - {from: eu-west}
                """))).containsExactly(
                AT + ".distribute[0].to: weights add up to 90 (expected: 100)",
                AT + ".distribute[1].to.us-east: 0 (expected: 1..100)",
                AT + ".distribute[2].to: missing (expected: a non-empty map of locality patterns to weights)");
    }

    @Test
    void localityPatternsAreCheckedAndMayNotOverlap() {
        assertThat(problems(rule("""
                distribute:
                - {from: "us-west/*/rack1", to: {"us-west": 100}}
                - {from: "us-west/zone1", to: {"us-west/zone1/*": 50, "us-west/zone1/rack1": 50}}
                - {from: "us-west", to: {"a/b/c/d": 100}}
                - {from: "*", to: {"us east": 100}}
                """))).containsExactly(
                AT + ".distribute[0].from: \"us-west/*/rack1\" (expected: a locality pattern such as us-west, us-west/zone1/* "
                        + "or *, a '*' only as its last part)",
                AT + ".distribute[1].to[\"us-west/zone1/rack1\"]: \"us-west/zone1/rack1\" overlaps \"us-west/zone1/*\" "
                        + "(expected: patterns that no one locality matches twice)",
                AT + ".distribute[2].from: \"us-west\" overlaps \"us-west/zone1\" (expected: patterns that no one locality matches twice)",
                AT + ".distribute[2].to[\"a/b/c/d\"]: \"a/b/c/d\" (expected: a locality pattern such as us-west, us-west/zone1/* "
                        + "or *, a '*' only as its last part)",
                AT + ".distribute[3].from: \"*\" overlaps \"us-west/zone1\" (expected: patterns that no one locality matches twice)",
                AT + ".distribute[3].to[\"us east\"]: \"us east\" (expected: a locality pattern such as us-west, us-west/zone1/* "
                        + "or *, a '*' only as its last part)");
    }

    @Test
    void failoverIsBetweenTwoRegionsAndExcludesDistributeAndTopologyPriorities() {
        assertThat(problems(rule("""
                failover:
                - {from: us-west, to: us-west}
                - {from: us-west/zone1, to: "*"}
                - {from: eu-west, to: us-east}
                failoverPriority: [topology.kubernetes.io/region, "Bad Label"]
                distribute: [{from: us-west, to: {us-west: 100}}]
                """))).containsExactly(
                AT + ".failover[0].to: \"us-west\" (expected: a region other than from's, as Istio requires)",
                AT + ".failover[1].from: \"us-west/zone1\" (expected: a region, without '/' or '*')",
                AT + ".failover[1].to: \"*\" (expected: a region, without '/' or '*')",
                AT + ".failoverPriority[0]: \"topology.kubernetes.io/region\" beside failover, which orders by region already "
                        + "(expected: no topology label in failoverPriority when failover is set, as Istio requires)",
                AT + ".failoverPriority[1]: \"Bad Label\" (expected: a label name, or name=value)",
                AT + ".failover: set beside distribute (expected: distribute or failover, as Istio requires)");
    }

    @Test
    void disablingItWhileSettingItIsRefused() {
        assertThat(problem(rule("{enabled: false, failover: [{from: us-west, to: us-east}]}"))).isEqualTo(AT
                + ".enabled: false, which turns off the distribute and failover settings beside it (expected: true, or no other settings)");
    }
}
