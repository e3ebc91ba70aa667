package dev.trellis.proxy.balance;

import java.util.List;
import java.util.Objects;

/**
 * A cluster's endpoints sorted into priority tiers for this proxy, as the control plane ranked them
 * (EDS {@code priority}, computed per caller from Istio's {@code localityLbSetting} by trellis-xds):
 * tier 0 is used while it is healthy enough and the rest spill over to the next ({@link
 * TieredBalancer}). Within a tier the endpoints are grouped by locality, each group with a weight
 * (EDS {@code load_balancing_weight} where locality weights apply), as Envoy's locality-weighted
 * balancing reads them.
 *
 * @param tiers in priority order, none empty
 */
public record LocalityTiers(List<Tier> tiers) {
    public LocalityTiers {
        tiers = List.copyOf(tiers);
    }

    /** One tier of endpoints that share a priority. */
    public record Tier(List<Group> groups) {
        public Tier {
            groups = List.copyOf(groups);
        }

        public List<Endpoint> endpoints() {
            return groups.stream().flatMap(g -> g.endpoints().stream()).toList();
        }
    }

    /**
     * The endpoints of one locality within a tier.
     *
     * @param weight its share of the tier's traffic relative to the tier's other groups, before health
     */
    public record Group(Locality locality, double weight, List<Endpoint> endpoints) {
        public Group {
            Objects.requireNonNull(locality, "locality");
            endpoints = List.copyOf(endpoints);
            if (!(weight > 0)) {
                throw new IllegalArgumentException("weight of " + locality + ": " + weight + " (expected: > 0)");
            }
        }
    }

    /** All endpoints in one tier and one group: a cluster without locality-aware balancing. */
    public static LocalityTiers single(List<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            return new LocalityTiers(List.of());
        }
        return new LocalityTiers(List.of(new Tier(List.of(new Group(Locality.NONE, endpoints.size(), endpoints)))));
    }
}
