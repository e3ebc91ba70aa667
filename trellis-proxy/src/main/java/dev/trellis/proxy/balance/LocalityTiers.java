package dev.trellis.proxy.balance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A cluster's endpoints sorted into priority tiers for one caller, as Istio's {@code localityLbSetting}
 * sorts them into Envoy priorities (pilot's {@code loadbalancer.go}): tier 0 is used while it is
 * healthy enough and the rest spill over to the next ({@link TieredBalancer}). Within a tier the
 * endpoints are grouped by locality, each group with a weight (its endpoint count, or the
 * {@code distribute} weight), as Envoy's locality-weighted balancing reads them.
 *
 * @param tiers in priority order, none empty
 */
public record LocalityTiers(List<Tier> tiers) {
    static final String REGION_LABEL = "topology.kubernetes.io/region";
    static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    static final String SUBZONE_LABEL = "topology.istio.io/subzone";

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

    /**
     * The tiers of {@code endpoints} for a caller, as Istio orders them. Istio applies failover only
     * where the cluster has outlier detection, else only {@code distribute}: that choice belongs to
     * the configuration that calls this; pass a null {@code setting} for no locality awareness.
     *
     * @param callerLabels the caller's labels, for {@code failoverPriority}; its topology labels
     *     default to its locality's parts
     */
    public static LocalityTiers of(List<Endpoint> endpoints, Locality caller, Map<String, String> callerLabels,
            LocalityLbSetting setting) {
        if (setting == null || endpoints.isEmpty()) {
            return single(endpoints);
        }
        if (!setting.distribute().isEmpty()) {
            return distribute(endpoints, caller, setting.distribute());
        }
        List<Label> priorityLabels = setting.failoverPriority().stream().map(Label::parse).toList();
        Map<String, String> callerTopology = withTopology(callerLabels, caller);
        boolean byLabels = !priorityLabels.isEmpty() && !callerTopology.isEmpty();
        // Istio: failoverPriority alone replaces the locality order; with failover it comes first.
        boolean byLocality = priorityLabels.isEmpty() || !setting.failover().isEmpty();
        TreeMap<Integer, List<Endpoint>> byPriority = new TreeMap<>();
        for (Endpoint endpoint : endpoints) {
            int priority = byLabels ? labelPriority(priorityLabels, callerTopology, endpoint) : 0;
            if (byLocality) {
                priority = priority * 5 + localityPriority(caller, endpoint.locality(), setting.failover());
            }
            byPriority.computeIfAbsent(priority, p -> new ArrayList<>()).add(endpoint);
        }
        return new LocalityTiers(byPriority.values().stream().map(LocalityTiers::byLocality).toList());
    }

    /** Istio's {@code LbPriority}, then its failover rule for other regions: 0 to 4. */
    static int localityPriority(Locality caller, Locality endpoint, List<LocalityLbSetting.Failover> failover) {
        if (caller.region().equals(endpoint.region())) {
            if (caller.zone().equals(endpoint.zone())) {
                return caller.subZone().equals(endpoint.subZone()) ? 0 : 1;
            }
            return 2;
        }
        for (LocalityLbSetting.Failover rule : failover) {
            if (rule.from().equals(caller.region())) {
                return endpoint.region().equals(rule.to()) ? 3 : 4;
            }
        }
        return 3;
    }

    /** 0 when all the labels match the caller's; else (label count - index of the first that differs). */
    private static int labelPriority(List<Label> labels, Map<String, String> caller, Endpoint endpoint) {
        Map<String, String> own = withTopology(endpoint.labels(), endpoint.locality());
        for (int j = 0; j < labels.size(); j++) {
            Label label = labels.get(j);
            String wanted = label.value() != null ? label.value() : caller.getOrDefault(label.name(), "");
            if (!wanted.equals(own.getOrDefault(label.name(), ""))) {
                return labels.size() - j;
            }
        }
        return 0;
    }

    private static LocalityTiers distribute(List<Endpoint> endpoints, Locality caller, List<LocalityLbSetting.Distribute> rules) {
        Map<Locality, List<Endpoint>> localities = groupByLocality(endpoints);
        LocalityLbSetting.Distribute rule = rules.stream().filter(r -> caller.matches(r.from())).findFirst().orElse(null);
        if (rule == null) {
            return new LocalityTiers(List.of(byLocality(endpoints)));
        }
        Map<Locality, Double> weights = new LinkedHashMap<>();
        for (LocalityLbSetting.Weight to : rule.to()) {
            List<Locality> matched = localities.keySet().stream()
                    .filter(l -> !weights.containsKey(l) && l.matches(to.to()))
                    .toList();
            double endpointsMatched = matched.stream().mapToInt(l -> localities.get(l).size()).sum();
            for (Locality locality : matched) {
                weights.put(locality, to.weight() * localities.get(locality).size() / endpointsMatched);
            }
        }
        List<Group> groups = new ArrayList<>();
        weights.forEach((locality, weight) -> {
            if (weight > 0) { // a locality no rule names, or one given 0, takes no traffic
                groups.add(new Group(locality, weight, localities.get(locality)));
            }
        });
        return new LocalityTiers(groups.isEmpty() ? List.of() : List.of(new Tier(groups)));
    }

    private static Tier byLocality(List<Endpoint> endpoints) {
        List<Group> groups = new ArrayList<>();
        groupByLocality(endpoints).forEach((locality, members) -> groups.add(new Group(locality, members.size(), members)));
        return new Tier(groups);
    }

    private static Map<Locality, List<Endpoint>> groupByLocality(List<Endpoint> endpoints) {
        Map<Locality, List<Endpoint>> groups = new LinkedHashMap<>();
        for (Endpoint endpoint : endpoints) {
            groups.computeIfAbsent(endpoint.locality(), l -> new ArrayList<>()).add(endpoint);
        }
        return groups;
    }

    /** Labels with the topology labels Istio puts on workloads filled in from a locality. */
    private static Map<String, String> withTopology(Map<String, String> labels, Locality locality) {
        if (locality.isNone()) {
            return labels;
        }
        Map<String, String> all = new HashMap<>(labels);
        if (!locality.region().isEmpty()) {
            all.putIfAbsent(REGION_LABEL, locality.region());
        }
        if (!locality.zone().isEmpty()) {
            all.putIfAbsent(ZONE_LABEL, locality.zone());
        }
        if (!locality.subZone().isEmpty()) {
            all.putIfAbsent(SUBZONE_LABEL, locality.subZone());
        }
        return all;
    }

    /** A {@code failoverPriority} entry: a label name, and the value to match instead of the caller's. */
    private record Label(String name, String value) {
        static Label parse(String text) {
            int eq = text.indexOf('=');
            return eq < 0 ? new Label(text, null) : new Label(text.substring(0, eq), text.substring(eq + 1));
        }
    }
}
