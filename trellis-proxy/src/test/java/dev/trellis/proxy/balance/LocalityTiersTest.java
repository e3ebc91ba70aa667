package dev.trellis.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalityTiersTest {
    static int next = 0;

    static Endpoint at(String locality) {
        return at(locality, Map.of());
    }

    static Endpoint at(String locality, Map<String, String> labels) {
        return new Endpoint("10.1.0." + next++, 80, labels, Locality.parse(locality));
    }

    static List<List<Endpoint>> endpointsByTier(LocalityTiers tiers) {
        return tiers.tiers().stream().map(LocalityTiers.Tier::endpoints).toList();
    }

    final Locality caller = Locality.parse("us-west/zone1/rack1");
    final Endpoint sameRack = at("us-west/zone1/rack1");
    final Endpoint otherRack = at("us-west/zone1/rack2");
    final Endpoint otherZone = at("us-west/zone2/rack1");
    final Endpoint euWest = at("eu-west/zone1/rack1");
    final Endpoint apSouth = at("ap-south/zone1");
    final List<Endpoint> all = List.of(apSouth, euWest, otherZone, otherRack, sameRack);

    @Test
    void byDefaultTheCallersSubZoneThenZoneThenRegionThenTheRest() {
        LocalityTiers tiers = LocalityTiers.of(all, caller, Map.of(), LocalityLbSetting.DEFAULT);
        assertThat(endpointsByTier(tiers)).containsExactly(
                List.of(sameRack), List.of(otherRack), List.of(otherZone), List.of(apSouth, euWest));
    }

    @Test
    void prioritiesWithoutEndpointsAreLeftOut() {
        LocalityTiers tiers = LocalityTiers.of(List.of(apSouth, sameRack, otherZone), caller, Map.of(), LocalityLbSetting.DEFAULT);
        assertThat(endpointsByTier(tiers)).containsExactly(List.of(sameRack), List.of(otherZone), List.of(apSouth));
    }

    @Test
    void aFailoverRuleNamesTheRegionToTryAfterTheCallersOwn() {
        LocalityLbSetting setting = LocalityLbSetting.failover(List.of(
                new LocalityLbSetting.Failover("eu-west", "ap-south"), // not the caller's region
                new LocalityLbSetting.Failover("us-west", "eu-west"),
                new LocalityLbSetting.Failover("us-west", "ap-south"))); // only the first for a region counts
        LocalityTiers tiers = LocalityTiers.of(all, caller, Map.of(), setting);
        assertThat(endpointsByTier(tiers)).containsExactly(
                List.of(sameRack), List.of(otherRack), List.of(otherZone), List.of(euWest), List.of(apSouth));
    }

    @Test
    void failoverPriorityOrdersByHowManyLeadingLabelsMatchTheCallers() {
        Endpoint v1Here = at("us-west/zone1/rack1", Map.of("version", "v1"));
        Endpoint v1ThereZone = at("us-west/zone2", Map.of("version", "v1"));
        Endpoint v2Here = at("us-west/zone1/rack1", Map.of("version", "v2"));
        Endpoint v1Away = at("eu-west/zone1", Map.of("version", "v1"));
        List<Endpoint> endpoints = List.of(v1Away, v2Here, v1ThereZone, v1Here);
        LocalityLbSetting setting = LocalityLbSetting.failoverPriority(
                List.of("version", LocalityTiers.REGION_LABEL, LocalityTiers.ZONE_LABEL), List.of());
        LocalityTiers tiers = LocalityTiers.of(endpoints, caller, Map.of("version", "v1"), setting);
        // all three match; version and region; version only; none
        assertThat(endpointsByTier(tiers)).containsExactly(List.of(v1Here), List.of(v1ThereZone), List.of(v1Away), List.of(v2Here));
    }

    @Test
    void aFailoverPriorityLabelMayNameTheValueToPrefer() {
        Endpoint v1 = at("us-west/zone1/rack1", Map.of("version", "v1"));
        Endpoint v2 = at("us-west/zone1/rack1", Map.of("version", "v2"));
        LocalityLbSetting setting = LocalityLbSetting.failoverPriority(List.of("version=v2"), List.of());
        LocalityTiers tiers = LocalityTiers.of(List.of(v1, v2), caller, Map.of("version", "v1"), setting);
        assertThat(endpointsByTier(tiers)).containsExactly(List.of(v2), List.of(v1));
    }

    @Test
    void failoverPriorityWithFailoverOrdersByLabelsFirstThenByLocality() {
        Endpoint v1Here = at("us-west/zone1/rack1", Map.of("version", "v1"));
        Endpoint v1Eu = at("eu-west/zone1", Map.of("version", "v1"));
        Endpoint v1Ap = at("ap-south/zone1", Map.of("version", "v1"));
        Endpoint v2Here = at("us-west/zone1/rack1", Map.of("version", "v2"));
        LocalityLbSetting setting = LocalityLbSetting.failoverPriority(List.of("version"),
                List.of(new LocalityLbSetting.Failover("us-west", "eu-west")));
        LocalityTiers tiers = LocalityTiers.of(List.of(v2Here, v1Ap, v1Eu, v1Here), caller, Map.of("version", "v1"), setting);
        assertThat(endpointsByTier(tiers)).containsExactly(List.of(v1Here), List.of(v1Eu), List.of(v1Ap), List.of(v2Here));
    }

    @Test
    void distributeWeighsLocalitiesInOneTierAndDropsTheUnnamed() {
        Endpoint z1a = at("us-west/zone1/rack1");
        Endpoint z1b = at("us-west/zone1/rack2");
        Endpoint z1c = at("us-west/zone1/rack2");
        Endpoint z2 = at("us-west/zone2/rack1");
        Endpoint east = at("us-east/zone1");
        Map<String, Integer> to = new LinkedHashMap<>();
        to.put("us-west/zone1/*", 80);
        to.put("us-west/zone2/*", 20);
        LocalityLbSetting setting = LocalityLbSetting.distribute(List.of(
                LocalityLbSetting.Distribute.of("us-east/*", Map.of("us-east/*", 100)),
                LocalityLbSetting.Distribute.of("us-west/zone1/*", to)));
        LocalityTiers tiers = LocalityTiers.of(List.of(z1a, z1b, z1c, z2, east), caller, Map.of(), setting);
        assertThat(tiers.tiers()).hasSize(1);
        List<String> groups = new ArrayList<>();
        for (LocalityTiers.Group group : tiers.tiers().get(0).groups()) {
            groups.add(group.locality() + "=" + group.weight() + group.endpoints());
        }
        // zone1's 80 shared by its two sub-zones by endpoint count
        assertThat(groups).containsExactly(
                "us-west/zone1/rack1=" + 80.0 / 3 + List.of(z1a),
                "us-west/zone1/rack2=" + 160.0 / 3 + List.of(z1b, z1c),
                "us-west/zone2/rack1=20.0" + List.of(z2));
    }

    @Test
    void distributeRulesForOtherCallersChangeNothing() {
        LocalityLbSetting setting = LocalityLbSetting.distribute(List.of(
                LocalityLbSetting.Distribute.of("eu-west/*", Map.of("eu-west/*", 100))));
        LocalityTiers tiers = LocalityTiers.of(all, caller, Map.of(), setting);
        assertThat(tiers.tiers()).hasSize(1);
        assertThat(tiers.tiers().get(0).endpoints()).containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void withoutASettingAllEndpointsAreOneTier() {
        assertThat(endpointsByTier(LocalityTiers.of(all, caller, Map.of(), null))).containsExactly(all);
        assertThat(LocalityTiers.single(List.of()).tiers()).isEmpty();
    }

    @Test
    void localityPatternsAsIstioMatchesThem() {
        assertThat(caller.matches("us-west")).isTrue();
        assertThat(caller.matches("us-west/*")).isTrue();
        assertThat(caller.matches("us-west/zone1/*")).isTrue();
        assertThat(caller.matches("*/zone1/rack1")).isTrue();
        assertThat(caller.matches("us-west/zone2/*")).isFalse();
        assertThat(caller.matches("us-east")).isFalse();
        assertThat(Locality.parse("us-west/zone1").toString()).isEqualTo("us-west/zone1");
        assertThat(Locality.parse("")).isSameAs(Locality.NONE);
        assertThatThrownBy(() -> Locality.parse("a/b/c/d")).hasMessage("locality: a/b/c/d (expected: region[/zone[/subzone]])");
    }

    @Test
    void endpointsWithoutALocalityStillWork() {
        Endpoint plain = new Endpoint("10.1.1.1", 80, Map.of());
        assertThat(plain.locality()).isSameAs(Locality.NONE);
        LocalityTiers tiers = LocalityTiers.of(List.of(plain, sameRack), Locality.NONE, Map.of(), LocalityLbSetting.DEFAULT);
        assertThat(endpointsByTier(tiers)).containsExactly(List.of(plain), List.of(sameRack));
    }
}
