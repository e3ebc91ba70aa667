package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.ConcurrentRetryBudget;
import dev.trellis.model.ConnectionPool;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.OutlierDetection;
import dev.trellis.model.PortTrafficPolicy;
import dev.trellis.model.TrafficPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a DestinationRule's {@code trafficPolicy} (of the rule or of a subset): load balancing,
 * connection pool, outlier detection, retry budget and their port-level settings. It refuses
 * locality failover where no outlier detection reaches it: Istio fails over only as outlier
 * detection ejects endpoints, so such a failover would never act.
 */
final class TrafficPolicyReader {
    private static final Fields POLICY =
            Fields.of("loadBalancer", "connectionPool", "outlierDetection", "retryBudget", "portLevelSettings")
                    .notImplemented("tls", "tunnel", "proxyProtocol");
    private static final Fields PORT_POLICY = Fields.of("port", "loadBalancer", "connectionPool", "outlierDetection")
            .notImplemented("tls");
    private static final Fields PORT = Fields.of("number");
    private static final Fields RETRY_BUDGET = Fields.of("percent", "minRetryConcurrency").notImplemented("budgetInterval");

    private TrafficPolicyReader() {}

    /**
     * @param rule the rule's own policy when this is a subset's, whose outlier detection the
     *     subset inherits on the ports where it has none of its own
     */
    static TrafficPolicy read(Node policy, Optional<TrafficPolicy> rule) {
        if (!policy.isObject(POLICY)) {
            return TrafficPolicy.NONE;
        }
        Node lb = policy.get("loadBalancer");
        Optional<LoadBalancerSettings> loadBalancer = LoadBalancerReader.read(lb);
        Optional<ConnectionPool> pool = ConnectionPoolReader.read(policy.get("connectionPool"));
        Optional<OutlierDetection> outlier = OutlierDetectionReader.read(policy.get("outlierDetection"));
        Optional<ConcurrentRetryBudget> budget = retryBudget(policy.get("retryBudget"));
        List<PortTrafficPolicy> ports = portLevelSettings(policy.get("portLevelSettings"));
        Set<Integer> own = ports.stream().map(PortTrafficPolicy::port).collect(Collectors.toSet());
        boolean inherited = rule.map(r -> r.outlierDetection().isPresent()
                && r.portLevelSettings().stream().allMatch(p -> own.contains(p.port()) || p.outlierDetection().isPresent()))
                .orElse(false);
        failoverNeedsOutlier(lb, loadBalancer, outlier.isPresent() || inherited,
                rule.isPresent() ? "in this trafficPolicy, or in the rule's for every port" : "in the same trafficPolicy");
        return new TrafficPolicy(loadBalancer, pool, outlier, budget, ports);
    }

    private static List<PortTrafficPolicy> portLevelSettings(Node list) {
        List<PortTrafficPolicy> ports = new ArrayList<>();
        Map<Integer, String> pathByPort = new HashMap<>();
        for (Node entry : list.list("port traffic policies")) {
            if (!entry.isRequiredObject(PORT_POLICY)) {
                continue;
            }
            Node port = entry.get("port");
            OptionalInt number = port.isRequiredObject(PORT) ? port.get("number").requiredInteger(1, 65535) : OptionalInt.empty();
            Node lb = entry.get("loadBalancer");
            Optional<LoadBalancerSettings> loadBalancer = LoadBalancerReader.read(lb);
            Optional<ConnectionPool> pool = ConnectionPoolReader.read(entry.get("connectionPool"));
            Optional<OutlierDetection> outlier = OutlierDetectionReader.read(entry.get("outlierDetection"));
            // A port-level policy inherits nothing: its own outlier detection is the only one.
            failoverNeedsOutlier(lb, loadBalancer, outlier.isPresent(), "in the same port-level entry, which inherits none");
            if (number.isEmpty()) {
                continue;
            }
            String other = pathByPort.putIfAbsent(number.getAsInt(), port.get("number").path());
            if (other != null) {
                port.get("number").problem("a port not used by " + other);
                continue;
            }
            ports.add(new PortTrafficPolicy(number.getAsInt(), loadBalancer, pool, outlier));
        }
        return ports;
    }

    private static void failoverNeedsOutlier(Node lb, Optional<LoadBalancerSettings> settings, boolean outlier, String where) {
        boolean failover = settings.flatMap(LoadBalancerSettings::locality).filter(l -> l.enabled() && l.setsFailover()).isPresent();
        if (failover && !outlier) {
            Node setting = lb.get("localityLbSetting");
            Node at = setting.get("failover").isPresent() ? setting.get("failover") : setting.get("failoverPriority");
            at.report("set without outlierDetection: Istio fails over only as outlier detection ejects endpoints, so"
                    + " traffic would never fail over (expected: outlierDetection " + where + ")");
        }
    }

    /** Istio's retry budget: {@code percent} 0..100, default 20; {@code minRetryConcurrency}, 0 or unset for 3. */
    private static Optional<ConcurrentRetryBudget> retryBudget(Node budget) {
        if (!budget.isObject(RETRY_BUDGET)) {
            return Optional.empty();
        }
        double percent = budget.get("percent").number(0, 100).orElse(ConcurrentRetryBudget.DEFAULT_PERCENT);
        int min = budget.get("minRetryConcurrency").integer(0, Integer.MAX_VALUE).orElse(0);
        return Optional.of(new ConcurrentRetryBudget(percent, min > 0 ? min : ConcurrentRetryBudget.DEFAULT_MIN_RETRY_CONCURRENCY));
    }
}
