package dev.trellis.proxy.balance;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Istio's {@code localityLbSetting}: how the caller's locality orders and weighs a cluster's
 * endpoints. With nothing set, the default failover order: same region, zone and sub-zone first,
 * then same zone, then same region, then the rest. {@code distribute} and failover exclude each
 * other, as in Istio (when both are given, {@code distribute} is used, as Istio does).
 *
 * @param distribute weights from the caller's locality to endpoint localities; the first rule whose
 *     {@code from} matches the caller applies
 * @param failover where traffic goes when a region's endpoints fail: after the caller's region,
 *     the {@code to} region of the first rule whose {@code from} is the caller's region, then the rest
 * @param failoverPriority label names (or {@code name=value}) ordering endpoints by how many of the
 *     leading labels they share with the caller; topology labels are read from the localities
 */
public record LocalityLbSetting(List<Distribute> distribute, List<Failover> failover, List<String> failoverPriority) {
    /** Istio's default: failover by region, zone and sub-zone. */
    public static final LocalityLbSetting DEFAULT = new LocalityLbSetting(List.of(), List.of(), List.of());

    public LocalityLbSetting {
        distribute = List.copyOf(distribute);
        failover = List.copyOf(failover);
        failoverPriority = List.copyOf(failoverPriority);
        for (String label : failoverPriority) {
            if (label.isEmpty() || label.startsWith("=")) {
                throw new IllegalArgumentException("failoverPriority: \"" + label + "\" (expected: a label name, or name=value)");
            }
        }
    }

    public static LocalityLbSetting distribute(List<Distribute> rules) {
        return new LocalityLbSetting(rules, List.of(), List.of());
    }

    public static LocalityLbSetting failover(List<Failover> rules) {
        return new LocalityLbSetting(List.of(), rules, List.of());
    }

    public static LocalityLbSetting failoverPriority(List<String> labels, List<Failover> failover) {
        return new LocalityLbSetting(List.of(), failover, labels);
    }

    /**
     * One {@code distribute} rule: from the callers in {@code from}, the weight each endpoint
     * locality pattern gets. A pattern's weight is shared by the localities it matches, in
     * proportion to their endpoint counts; a locality matched by no pattern gets no traffic; a
     * locality matched by several goes with the first (Istio's order is a Go map's, so undefined).
     *
     * @param from a locality pattern such as {@code us-west/zone1/*}
     * @param to locality patterns and their weights, in order
     */
    public record Distribute(String from, List<Weight> to) {
        public Distribute {
            Objects.requireNonNull(from, "from");
            to = List.copyOf(to);
        }

        /** From a map in its iteration order (pass a {@link java.util.LinkedHashMap} for a fixed one). */
        public static Distribute of(String from, Map<String, Integer> to) {
            return new Distribute(from, to.entrySet().stream().map(e -> new Weight(e.getKey(), e.getValue())).toList());
        }
    }

    /** A locality pattern and its weight in a {@link Distribute} rule. */
    public record Weight(String to, int weight) {
        public Weight {
            Objects.requireNonNull(to, "to");
            if (weight < 0) {
                throw new IllegalArgumentException("distribute weight of " + to + ": " + weight + " (expected: >= 0)");
            }
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
