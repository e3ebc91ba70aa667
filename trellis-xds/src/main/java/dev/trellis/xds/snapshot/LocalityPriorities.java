package dev.trellis.xds.snapshot;

import dev.trellis.model.Locality;
import dev.trellis.model.LocalityLbSetting;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Sorts a cluster's endpoints into Envoy priorities and locality groups for one caller, as Istio's
 * {@code loadbalancer.ApplyLocalityLoadBalancer} does for each proxy (pilot's
 * {@code networking/core/loadbalancer/loadbalancer.go}):
 *
 * <ul>
 *   <li>Every locality is one group at priority 0, weighted by its endpoint count.
 *   <li>{@code distribute}: the first rule whose {@code from} matches the caller weighs the
 *       localities each {@code to} pattern matches (the pattern's weight shared in proportion to
 *       their endpoint counts, rounded up); localities no pattern matches are left out. No priorities.
 *   <li>Otherwise, only where failover applies (the destination has outlier detection):
 *       {@code failoverPriority} splits each locality by how many of its leading labels an endpoint
 *       shares with the caller ({@code labels - index of the first that differs}; 0 when all do), and
 *       then, or alone, the locality order ranks each group: same sub-zone 0, same zone 1, same region
 *       2, other regions 3 — or, when a {@code failover} rule names the caller's region, 3 for its
 *       {@code to} region and 4 for the rest. Combined priorities are {@code label × 5 + locality},
 *       renumbered 0..N-1 without gaps, as Envoy requires.
 * </ul>
 *
 * The caller's and the endpoints' labels gain Istio's topology labels from their localities.
 */
final class LocalityPriorities {
    static final String REGION_LABEL = "topology.kubernetes.io/region";
    static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    static final String SUBZONE_LABEL = "topology.istio.io/subzone";

    /**
     * The endpoints of one locality at one priority.
     *
     * @param weight the locality's weight within its priority: its endpoint count, or its distribute share
     */
    record Group(Locality locality, int priority, int weight, List<Clusters.Member> members) {
        Group {
            members = List.copyOf(members);
        }
    }

    private LocalityPriorities() {}

    /**
     * @param setting the destination's {@code localityLbSetting}, Istio's default when it sets none
     * @param failover whether failover applies: the destination has outlier detection
     * @param byLabels whether {@code failoverPriority} may split localities: Istio applies it to EDS
     *     clusters and not to those resolved by DNS
     */
    static List<Group> of(List<Clusters.Member> members, Caller caller, LocalityLbSetting setting, boolean failover,
            boolean byLabels) {
        List<Group> groups = byLocality(members);
        if (!setting.enabled() || groups.isEmpty()) {
            return groups;
        }
        if (!setting.distribute().isEmpty()) {
            return distribute(groups, caller.locality(), setting.distribute());
        }
        if (!failover) {
            return groups;
        }
        if (!setting.failoverPriority().isEmpty()) {
            if (byLabels) {
                groups = byLabelPriority(groups, caller, setting.failoverPriority());
            }
            if (setting.failover().isEmpty()) {
                return groups;
            }
        }
        return byLocalityPriority(groups, caller.locality(), setting.failover());
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

    private static List<Group> byLocality(List<Clusters.Member> members) {
        Map<Locality, List<Clusters.Member>> localities = new LinkedHashMap<>();
        members.forEach(m -> localities.computeIfAbsent(m.locality(), l -> new ArrayList<>()).add(m));
        List<Group> groups = new ArrayList<>();
        localities.forEach((locality, in) -> groups.add(new Group(locality, 0, in.size(), in)));
        return groups;
    }

    private static List<Group> distribute(List<Group> groups, Locality caller, List<LocalityLbSetting.Distribute> rules) {
        LocalityLbSetting.Distribute rule = rules.stream().filter(r -> caller.matches(r.from())).findFirst().orElse(null);
        if (rule == null) {
            return groups;
        }
        Set<Group> unmatched = new LinkedHashSet<>(groups);
        Map<Group, Integer> weights = new HashMap<>();
        for (LocalityLbSetting.Weight to : rule.to()) {
            List<Group> matched = unmatched.stream().filter(g -> g.locality().matches(to.to())).toList();
            long total = matched.stream().mapToLong(Group::weight).sum();
            for (Group group : matched) {
                unmatched.remove(group);
                weights.put(group, (int) Math.ceil((double) group.weight() * to.weight() / total));
            }
        }
        // A locality no pattern names takes no traffic: Istio empties it, Trellis leaves it out.
        return groups.stream()
                .filter(weights::containsKey)
                .map(g -> new Group(g.locality(), 0, weights.get(g), g.members()))
                .toList();
    }

    private static List<Group> byLabelPriority(List<Group> groups, Caller caller, List<String> priorityLabels) {
        Map<String, String> callerLabels = withTopology(caller.labels(), caller.locality());
        if (callerLabels.isEmpty()) {
            return groups; // as Istio: with no labels of its own, the caller has nothing to match on
        }
        List<Label> labels = priorityLabels.stream().map(Label::parse).toList();
        List<Group> split = new ArrayList<>();
        for (Group group : groups) {
            Map<Integer, List<Clusters.Member>> byPriority = new LinkedHashMap<>();
            for (Clusters.Member member : group.members()) {
                byPriority.computeIfAbsent(labelPriority(labels, callerLabels, member), p -> new ArrayList<>()).add(member);
            }
            byPriority.forEach((priority, in) -> split.add(new Group(group.locality(), priority, in.size(), in)));
        }
        return renumber(split);
    }

    private static List<Group> byLocalityPriority(List<Group> groups, Locality caller, List<LocalityLbSetting.Failover> failover) {
        return renumber(groups.stream()
                .map(g -> new Group(g.locality(), g.priority() * 5 + localityPriority(caller, g.locality(), failover), g.weight(), g.members()))
                .toList());
    }

    /** Priorities 0..N-1 in the same order, without gaps. */
    private static List<Group> renumber(List<Group> groups) {
        List<Integer> used = new ArrayList<>(new TreeSet<>(groups.stream().map(Group::priority).toList()));
        return groups.stream()
                .map(g -> new Group(g.locality(), used.indexOf(g.priority()), g.weight(), g.members()))
                .toList();
    }

    /** 0 when all the labels match the caller's; else (label count - index of the first that differs). */
    private static int labelPriority(List<Label> labels, Map<String, String> caller, Clusters.Member member) {
        Map<String, String> own = withTopology(member.labels(), member.locality());
        for (int j = 0; j < labels.size(); j++) {
            Label label = labels.get(j);
            String wanted = label.value() != null ? label.value() : caller.getOrDefault(label.name(), "");
            if (!wanted.equals(own.getOrDefault(label.name(), ""))) {
                return labels.size() - j;
            }
        }
        return 0;
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
