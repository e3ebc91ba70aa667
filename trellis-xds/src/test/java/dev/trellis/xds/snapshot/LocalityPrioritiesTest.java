package dev.trellis.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.Locality;
import dev.trellis.model.LocalityLbSetting;
import dev.trellis.model.LocalityLbSetting.Distribute;
import dev.trellis.model.LocalityLbSetting.Failover;
import dev.trellis.model.LocalityLbSetting.Weight;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Istio's per-caller priorities and locality weights, as {@code loadbalancer_test.go} checks them. */
class LocalityPrioritiesTest {
    static int next = 0;

    static Clusters.Member at(String locality) {
        return at(locality, Map.of());
    }

    static Clusters.Member at(String locality, Map<String, String> labels) {
        return new Clusters.Member("10.1.0." + next++, 80, labels, Locality.parse(locality).orElseThrow());
    }

    /** The members at each priority, in priority order. */
    static List<List<Clusters.Member>> byPriority(List<LocalityPriorities.Group> groups) {
        TreeMap<Integer, List<Clusters.Member>> tiers = new TreeMap<>();
        groups.forEach(g -> tiers.computeIfAbsent(g.priority(), p -> new ArrayList<>()).addAll(g.members()));
        return new ArrayList<>(tiers.values());
    }

    static List<LocalityPriorities.Group> failover(List<Clusters.Member> members, Locality caller, LocalityLbSetting setting) {
        return LocalityPriorities.of(members, new Caller(caller, Map.of()), setting, true, true);
    }

    final Locality caller = Locality.parse("us-west/zone1/rack1").orElseThrow();
    final Clusters.Member sameRack = at("us-west/zone1/rack1");
    final Clusters.Member otherRack = at("us-west/zone1/rack2");
    final Clusters.Member otherZone = at("us-west/zone2/rack1");
    final Clusters.Member euWest = at("eu-west/zone1/rack1");
    final Clusters.Member apSouth = at("ap-south/zone1");
    final List<Clusters.Member> all = List.of(apSouth, euWest, otherZone, otherRack, sameRack);

    @Test
    void byDefaultTheCallersSubZoneThenZoneThenRegionThenTheRest() {
        assertThat(byPriority(failover(all, caller, LocalityLbSetting.DEFAULT))).containsExactly(
                List.of(sameRack), List.of(otherRack), List.of(otherZone), List.of(apSouth, euWest));
    }

    @Test
    void prioritiesWithoutEndpointsAreLeftOutAndTheRestRenumberedWithoutGaps() {
        List<LocalityPriorities.Group> groups = failover(List.of(apSouth, sameRack, otherZone), caller, LocalityLbSetting.DEFAULT);
        assertThat(groups).extracting(LocalityPriorities.Group::priority).containsExactly(2, 0, 1);
        assertThat(byPriority(groups)).containsExactly(List.of(sameRack), List.of(otherZone), List.of(apSouth));
    }

    @Test
    void withoutFailoverEveryLocalityIsPriorityZeroWeightedByItsEndpoints() {
        Clusters.Member sameRackToo = at("us-west/zone1/rack1");
        List<LocalityPriorities.Group> groups = LocalityPriorities.of(List.of(sameRack, euWest, sameRackToo),
                new Caller(caller, Map.of()), LocalityLbSetting.DEFAULT, false, true);
        assertThat(groups).extracting(g -> g.locality() + "@" + g.priority() + "x" + g.weight())
                .containsExactly("us-west/zone1/rack1@0x2", "eu-west/zone1/rack1@0x1");
        assertThat(LocalityPriorities.of(all, new Caller(caller, Map.of()), LocalityLbSetting.DISABLED, true, true))
                .as("enabled: false").allSatisfy(g -> assertThat(g.priority()).isZero());
    }

    @Test
    void aFailoverRuleNamesTheRegionToTryAfterTheCallersOwn() {
        LocalityLbSetting setting = new LocalityLbSetting(true, List.of(), List.of(
                new Failover("eu-west", "ap-south"), // not the caller's region
                new Failover("us-west", "eu-west"),
                new Failover("us-west", "ap-south")), // only the first for a region counts
                List.of());
        assertThat(byPriority(failover(all, caller, setting))).containsExactly(
                List.of(sameRack), List.of(otherRack), List.of(otherZone), List.of(euWest), List.of(apSouth));
    }

    @Test
    void failoverPriorityOrdersByHowManyLeadingLabelsMatchTheCallers() {
        Clusters.Member v1Here = at("us-west/zone1/rack1", Map.of("version", "v1"));
        Clusters.Member v1ThereZone = at("us-west/zone2", Map.of("version", "v1"));
        Clusters.Member v2Here = at("us-west/zone1/rack1", Map.of("version", "v2"));
        Clusters.Member v1Away = at("eu-west/zone1", Map.of("version", "v1"));
        LocalityLbSetting setting = new LocalityLbSetting(true, List.of(), List.of(),
                List.of("version", LocalityPriorities.REGION_LABEL, LocalityPriorities.ZONE_LABEL));
        List<LocalityPriorities.Group> groups = LocalityPriorities.of(List.of(v1Away, v2Here, v1ThereZone, v1Here),
                new Caller(caller, Map.of("version", "v1")), setting, true, true);
        // all three match; version and region; version only; none
        assertThat(byPriority(groups)).containsExactly(List.of(v1Here), List.of(v1ThereZone), List.of(v1Away), List.of(v2Here));
        assertThat(groups).as("a locality split by labels is one group per priority")
                .filteredOn(g -> g.locality().equals(caller)).extracting(LocalityPriorities.Group::priority).containsExactly(3, 0);
        assertThat(byPriority(LocalityPriorities.of(List.of(v1Away, v2Here, v1ThereZone, v1Here),
                new Caller(caller, Map.of("version", "v1")), setting, true, false)))
                .as("not for a DNS cluster, as in Istio").hasSize(1);
    }

    @Test
    void aFailoverPriorityLabelMayNameTheValueToPrefer() {
        Clusters.Member v1 = at("us-west/zone1/rack1", Map.of("version", "v1"));
        Clusters.Member v2 = at("us-west/zone1/rack1", Map.of("version", "v2"));
        LocalityLbSetting setting = new LocalityLbSetting(true, List.of(), List.of(), List.of("version=v2"));
        assertThat(byPriority(LocalityPriorities.of(List.of(v1, v2), new Caller(caller, Map.of("version", "v1")), setting, true, true)))
                .containsExactly(List.of(v2), List.of(v1));
    }

    @Test
    void failoverPriorityNeedsCallerLabelsToMatchOn() {
        Clusters.Member v1 = at("", Map.of("version", "v1"));
        Clusters.Member v2 = at("", Map.of("version", "v2"));
        LocalityLbSetting setting = new LocalityLbSetting(true, List.of(), List.of(), List.of("version"));
        assertThat(byPriority(LocalityPriorities.of(List.of(v1, v2), Caller.NOWHERE, setting, true, true)))
                .as("as Istio: a caller with no labels, topology ones included, leaves the order alone").hasSize(1);
    }

    @Test
    void failoverPriorityWithFailoverOrdersByLabelsFirstThenByLocality() {
        Clusters.Member v1Here = at("us-west/zone1/rack1", Map.of("version", "v1"));
        Clusters.Member v1Eu = at("eu-west/zone1", Map.of("version", "v1"));
        Clusters.Member v1Ap = at("ap-south/zone1", Map.of("version", "v1"));
        Clusters.Member v2Here = at("us-west/zone1/rack1", Map.of("version", "v2"));
        LocalityLbSetting setting = new LocalityLbSetting(true, List.of(), List.of(new Failover("us-west", "eu-west")), List.of("version"));
        assertThat(byPriority(LocalityPriorities.of(List.of(v2Here, v1Ap, v1Eu, v1Here), new Caller(caller, Map.of("version", "v1")),
                setting, true, true))).containsExactly(List.of(v1Here), List.of(v1Eu), List.of(v1Ap), List.of(v2Here));
    }

    @Test
    void distributeWeighsLocalitiesInOnePriorityRoundingUpAndDropsTheUnnamed() {
        Clusters.Member z1a = at("us-west/zone1/rack1");
        Clusters.Member z1b = at("us-west/zone1/rack2");
        Clusters.Member z1c = at("us-west/zone1/rack2");
        Clusters.Member z2 = at("us-west/zone2/rack1");
        Clusters.Member east = at("us-east/zone1");
        LocalityLbSetting setting = new LocalityLbSetting(true, List.of(
                new Distribute("us-east/*", List.of(new Weight("us-east/*", 100))),
                new Distribute("us-west/zone1/*", List.of(new Weight("us-west/zone1/*", 80), new Weight("us-west/zone2/*", 20)))),
                List.of(), List.of());
        List<LocalityPriorities.Group> groups = LocalityPriorities.of(List.of(z1a, z1b, z1c, z2, east),
                new Caller(caller, Map.of()), setting, false, true);
        // zone1's 80 shared by its two sub-zones by endpoint count: 80/3 and 160/3, rounded up as Istio does
        assertThat(groups).extracting(g -> g.locality() + "@" + g.priority() + "x" + g.weight()).containsExactly(
                "us-west/zone1/rack1@0x27", "us-west/zone1/rack2@0x54", "us-west/zone2/rack1@0x20");
    }

    @Test
    void distributeRulesForOtherCallersChangeNothing() {
        LocalityLbSetting setting = new LocalityLbSetting(true,
                List.of(new Distribute("eu-west/*", List.of(new Weight("eu-west/*", 100)))), List.of(), List.of());
        List<LocalityPriorities.Group> groups = LocalityPriorities.of(all, new Caller(caller, Map.of()), setting, true, true);
        assertThat(groups).hasSize(5).allSatisfy(g -> {
            assertThat(g.priority()).isZero();
            assertThat(g.weight()).isEqualTo(1);
        });
    }

    @Test
    void localityPatternsAsIstioMatchesThem() {
        assertThat(caller.matches("us-west")).isTrue();
        assertThat(caller.matches("us-west/*")).isTrue();
        assertThat(caller.matches("us-west/zone1/*")).isTrue();
        assertThat(caller.matches("*/zone1/rack1")).isTrue();
        assertThat(caller.matches("*")).isTrue();
        assertThat(caller.matches("us-west/zone2/*")).isFalse();
        assertThat(caller.matches("us-east")).isFalse();
        assertThat(Locality.NONE.matches("us-west/*")).isFalse();
    }

    @Test
    void endpointsWithoutALocalityStillWork() {
        Clusters.Member plain = at("");
        assertThat(plain.locality()).isSameAs(Locality.NONE);
        assertThat(byPriority(failover(List.of(plain, sameRack), Locality.NONE, LocalityLbSetting.DEFAULT)))
                .containsExactly(List.of(plain), List.of(sameRack));
        assertThat(LocalityPriorities.of(List.of(), new Caller(caller, Map.of()), LocalityLbSetting.DEFAULT, true, true)).isEmpty();
    }
}
