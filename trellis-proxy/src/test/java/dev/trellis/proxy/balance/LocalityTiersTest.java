package dev.trellis.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tiers' data and localities. How endpoints are ranked into tiers for a caller is the control
 * plane's work (trellis-xds's {@code LocalityPriorities}, tested there); the proxy reads the ranks.
 */
class LocalityTiersTest {
    static int next = 0;

    static Endpoint at(String locality) {
        return at(locality, Map.of());
    }

    static Endpoint at(String locality, Map<String, String> labels) {
        return new Endpoint("10.1.0." + next++, 80, labels, Locality.parse(locality));
    }

    /** Tiers in the order given, each grouped by locality and weighted by endpoint count, as EDS sends them without weights. */
    @SafeVarargs
    static LocalityTiers tiers(List<Endpoint>... tiers) {
        List<LocalityTiers.Tier> all = new ArrayList<>();
        for (List<Endpoint> tier : tiers) {
            Map<Locality, List<Endpoint>> groups = new LinkedHashMap<>();
            tier.forEach(e -> groups.computeIfAbsent(e.locality(), l -> new ArrayList<>()).add(e));
            List<LocalityTiers.Group> weighted = new ArrayList<>();
            groups.forEach((locality, endpoints) -> weighted.add(new LocalityTiers.Group(locality, endpoints.size(), endpoints)));
            all.add(new LocalityTiers.Tier(weighted));
        }
        return new LocalityTiers(all);
    }

    @Test
    void aSingleTierHoldsEveryEndpointInOneGroup() {
        List<Endpoint> endpoints = List.of(at("us-west/zone1"), at("eu-west"));
        LocalityTiers tiers = LocalityTiers.single(endpoints);
        assertThat(tiers.tiers()).singleElement().satisfies(tier -> {
            assertThat(tier.groups()).singleElement().satisfies(g -> assertThat(g.weight()).isEqualTo(2));
            assertThat(tier.endpoints()).isEqualTo(endpoints);
        });
        assertThat(LocalityTiers.single(List.of()).tiers()).isEmpty();
        assertThatThrownBy(() -> new LocalityTiers.Group(Locality.NONE, 0, endpoints)).hasMessage("weight of : 0.0 (expected: > 0)");
    }

    @Test
    void localitiesAreWrittenAsIstioWritesThem() {
        assertThat(Locality.parse("us-west/zone1").toString()).isEqualTo("us-west/zone1");
        assertThat(Locality.parse("us-west/zone1/rack1").subZone()).isEqualTo("rack1");
        assertThat(Locality.parse("")).isSameAs(Locality.NONE);
        assertThat(new Endpoint("10.1.1.1", 80, Map.of()).locality()).isSameAs(Locality.NONE);
        assertThatThrownBy(() -> Locality.parse("a/b/c/d")).hasMessage("locality: a/b/c/d (expected: region[/zone[/subzone]])");
    }
}
