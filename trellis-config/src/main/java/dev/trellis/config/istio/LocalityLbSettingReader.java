package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.Locality;
import dev.trellis.model.LocalityLbSetting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Reads {@code loadBalancer.localityLbSetting}, checking what Istio's validation checks: locality
 * patterns with at most one {@code *}, as their last part, that do not overlap; {@code distribute}
 * weights of 1..100 that add up to 100; {@code failover} between two different regions; and
 * {@code distribute} and {@code failover} not together.
 */
final class LocalityLbSettingReader {
    private static final Fields SETTING = Fields.of("enabled", "distribute", "failover", "failoverPriority");
    private static final Fields DISTRIBUTE = Fields.of("from", "to");
    private static final Fields FAILOVER = Fields.of("from", "to");
    private static final String EXPECTED_PATTERN =
            "a locality pattern such as us-west, us-west/zone1/* or *, a '*' only as its last part";
    private static final String EXPECTED_REGION = "a region, without '/' or '*'";
    // A Kubernetes label key, optionally with the value to prefer: name or name=value.
    private static final Pattern LABEL = Pattern.compile(
            "([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?(=[-A-Za-z0-9_.]*)?");
    static final List<String> TOPOLOGY_LABELS =
            List.of("topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone");

    private LocalityLbSettingReader() {}

    static Optional<LocalityLbSetting> read(Node setting) {
        if (!setting.isObject(SETTING)) {
            return Optional.empty();
        }
        boolean enabled = setting.get("enabled").bool().orElse(true);
        List<LocalityLbSetting.Distribute> distribute = distribute(setting.get("distribute"));
        List<LocalityLbSetting.Failover> failover = failover(setting.get("failover"));
        Node priorityNode = setting.get("failoverPriority");
        List<String> failoverPriority = new ArrayList<>();
        for (Node item : priorityNode.list("label names")) {
            Optional<String> label = item.requiredString("a label name, or name=value");
            if (label.isEmpty()) {
                continue;
            }
            if (!LABEL.matcher(label.get()).matches()) {
                item.problem("a label name, or name=value");
            } else if (!failover.isEmpty() && TOPOLOGY_LABELS.contains(label.get())) {
                item.report("\"" + label.get() + "\" beside failover, which orders by region already"
                        + " (expected: no topology label in failoverPriority when failover is set, as Istio requires)");
            } else {
                failoverPriority.add(label.get());
            }
        }
        if (!distribute.isEmpty() && setting.get("failover").isPresent()) {
            setting.get("failover").report("set beside distribute (expected: distribute or failover, as Istio requires)");
        }
        if (!enabled && (setting.get("distribute").isPresent() || setting.get("failover").isPresent() || priorityNode.isPresent())) {
            setting.get("enabled").report("false, which turns off the distribute and failover settings beside it"
                    + " (expected: true, or no other settings)");
        }
        return Optional.of(enabled ? new LocalityLbSetting(true, distribute, failover, failoverPriority) : LocalityLbSetting.DISABLED);
    }

    private static List<LocalityLbSetting.Distribute> distribute(Node list) {
        List<LocalityLbSetting.Distribute> rules = new ArrayList<>();
        Patterns froms = new Patterns();
        for (Node rule : list.list("distribute rules")) {
            if (!rule.isRequiredObject(DISTRIBUTE)) {
                continue;
            }
            Optional<String> from = pattern(rule.get("from"), froms);
            Node toNode = rule.get("to");
            Map<String, Node> to = toNode.entries("locality patterns to weights");
            if (!toNode.isPresent() || to.isEmpty()) {
                toNode.report(toNode.given() + " (expected: a non-empty map of locality patterns to weights)");
            }
            Patterns tos = new Patterns();
            List<LocalityLbSetting.Weight> weights = new ArrayList<>();
            int total = 0;
            for (Map.Entry<String, Node> e : to.entrySet()) {
                OptionalInt weight = e.getValue().requiredInteger(1, 100);
                if (tos.check(e.getKey(), e.getValue()) && weight.isPresent()) {
                    weights.add(new LocalityLbSetting.Weight(e.getKey(), weight.getAsInt()));
                }
                total += weight.orElse(0);
            }
            if (!to.isEmpty() && weights.size() == to.size() && total != 100) {
                toNode.report("weights add up to " + total + " (expected: 100)");
            }
            from.ifPresent(f -> rules.add(new LocalityLbSetting.Distribute(f, weights)));
        }
        return rules;
    }

    private static List<LocalityLbSetting.Failover> failover(Node list) {
        List<LocalityLbSetting.Failover> rules = new ArrayList<>();
        for (Node rule : list.list("failover rules")) {
            if (!rule.isRequiredObject(FAILOVER)) {
                continue;
            }
            Optional<String> from = region(rule.get("from"));
            Optional<String> to = region(rule.get("to"));
            if (from.isPresent() && from.equals(to)) {
                rule.get("to").problem("a region other than from's, as Istio requires");
                continue;
            }
            from.ifPresent(f -> to.ifPresent(t -> rules.add(new LocalityLbSetting.Failover(f, t))));
        }
        return rules;
    }

    private static Optional<String> region(Node n) {
        Optional<String> region = n.requiredString(EXPECTED_REGION);
        if (region.isPresent() && (region.get().contains("/") || Locality.parse(region.get()).isEmpty())) {
            n.problem(EXPECTED_REGION);
            return Optional.empty();
        }
        return region;
    }

    private static Optional<String> pattern(Node n, Patterns seen) {
        Optional<String> pattern = n.requiredString(EXPECTED_PATTERN);
        return pattern.filter(p -> seen.check(p, n));
    }

    /**
     * The patterns of one list so far, refusing one that is malformed or that could match a
     * locality an earlier one matches (Istio calls it an overlap).
     */
    private static final class Patterns {
        private final List<String> seen = new ArrayList<>();

        boolean check(String pattern, Node at) {
            if (!wellFormed(pattern)) {
                at.report("\"" + pattern + "\" (expected: " + EXPECTED_PATTERN + ")");
                return false;
            }
            for (String earlier : seen) {
                if (overlap(earlier, pattern)) {
                    at.report("\"" + pattern + "\" overlaps \"" + earlier + "\" (expected: patterns that no one locality matches twice)");
                    return false;
                }
            }
            seen.add(pattern);
            return true;
        }

        private static boolean wellFormed(String pattern) {
            String[] parts = pattern.split("/", -1);
            if (parts.length > 3) {
                return false;
            }
            for (int i = 0; i < parts.length; i++) {
                boolean wildcard = parts[i].equals("*");
                if (wildcard ? i != parts.length - 1 : Locality.parse(parts[i]).isEmpty() || parts[i].contains("/")) {
                    return false;
                }
            }
            return true;
        }

        /** Whether some locality matches both: each part equal, or a wildcard or missing on one side. */
        private static boolean overlap(String a, String b) {
            String[] x = a.split("/", -1);
            String[] y = b.split("/", -1);
            for (int i = 0; i < 3; i++) {
                String p = i < x.length ? x[i] : "*";
                String q = i < y.length ? y[i] : "*";
                if (!p.equals("*") && !q.equals("*") && !p.equals(q)) {
                    return false;
                }
            }
            return true;
        }
    }
}
