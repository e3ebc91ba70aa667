package dev.trellis.model;

import java.util.List;
import java.util.Objects;

/**
 * Istio's {@code localityLbSetting}: how the caller's locality orders and weighs a destination's
 * endpoints. With nothing set, the default failover order: same region, zone and sub-zone first,
 * then same zone, then same region, then the rest. As in Istio, failover ({@code failover},
 * {@code failoverPriority} and the default order) acts only where outlier detection is set, and
 * {@code distribute} excludes {@code failover}.
 *
 * @param enabled false turns locality-aware balancing off for the destination
 * @param distribute weights from the caller's locality to endpoint localities; the first rule whose
 *     {@code from} matches the caller applies
 * @param failover where traffic goes when a region's endpoints fail: after the caller's region, the
 *     {@code to} region of the first rule whose {@code from} is the caller's region, then the rest
 * @param failoverPriority label names (or {@code name=value}) ordering endpoints by how many of the
 *     leading labels they share with the caller; topology labels are read from the localities
 */
public record LocalityLbSetting(boolean enabled, List<Distribute> distribute, List<Failover> failover,
        List<String> failoverPriority) {
    /** Istio's mesh-wide default: enabled, failover by region, zone and sub-zone. */
    public static final LocalityLbSetting DEFAULT = new LocalityLbSetting(true, List.of(), List.of(), List.of());
    /** {@code enabled: false}. */
    public static final LocalityLbSetting DISABLED = new LocalityLbSetting(false, List.of(), List.of(), List.of());

    public LocalityLbSetting {
        distribute = List.copyOf(distribute);
        failover = List.copyOf(failover);
        failoverPriority = List.copyOf(failoverPriority);
    }

    /** Whether this setting orders endpoints by failover rather than by the default order alone. */
    public boolean setsFailover() {
        return !failover.isEmpty() || !failoverPriority.isEmpty();
    }

    /**
     * One {@code distribute} rule: from the callers in {@code from}, the weight each endpoint
     * locality pattern gets, in the order written.
     *
     * @param from a locality pattern such as {@code us-west/zone1/*}
     */
    public record Distribute(String from, List<Weight> to) {
        public Distribute {
            Objects.requireNonNull(from, "from");
            to = List.copyOf(to);
        }
    }

    /** A locality pattern and its weight, 1..100, in a {@link Distribute} rule. */
    public record Weight(String to, int weight) {
        public Weight {
            Objects.requireNonNull(to, "to");
        }
    }

    /** From region {@code from}, fail over to region {@code to}. */
    public record Failover(String from, String to) {
        public Failover {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }
}
