package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.DestinationRule;
import dev.trellis.model.Meta;
import dev.trellis.model.Subset;
import dev.trellis.model.TrafficPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads Istio's DestinationRule into a {@link DestinationRule}: a host's policy and subsets. */
public final class DestinationRuleReader {
    private static final Fields SPEC =
            Fields.of("host", "trafficPolicy", "subsets").notImplemented("exportTo", "workloadSelector");
    private static final Fields SUBSET = Fields.of("name", "labels", "trafficPolicy");

    private DestinationRuleReader() {}

    public static Optional<DestinationRule> read(Meta meta, Node spec) {
        if (!spec.isRequiredObject(SPEC)) {
            return Optional.empty();
        }
        Optional<String> host = Names.host(spec.get("host"), meta.namespace());
        TrafficPolicy policy = TrafficPolicyReader.read(spec.get("trafficPolicy"), Optional.empty());
        List<Subset> subsets = new ArrayList<>();
        Map<String, String> pathByName = new HashMap<>();
        for (Node subset : spec.get("subsets").list("subsets")) {
            if (!subset.isRequiredObject(SUBSET)) {
                continue;
            }
            Node nameNode = subset.get("name");
            Optional<String> name = Names.label(nameNode);
            String other = name.map(n -> pathByName.putIfAbsent(n, nameNode.path())).orElse(null);
            if (other != null) {
                nameNode.problem("a name not used by " + other);
            }
            subsets.add(new Subset(name.orElse(""), labels(subset.get("labels")),
                    TrafficPolicyReader.read(subset.get("trafficPolicy"), Optional.of(policy))));
        }
        return Optional.of(new DestinationRule(meta, host.orElse(""), policy, subsets));
    }

    /** A subset without labels would select every endpoint: surely a mistake. */
    private static Map<String, String> labels(Node labels) {
        Map<String, String> map = labels.stringMap("labels");
        if (!labels.isPresent()) {
            labels.missing("a non-empty map of labels");
        } else if (map.isEmpty()) {
            labels.problem("a non-empty map of labels");
        }
        return map;
    }
}
