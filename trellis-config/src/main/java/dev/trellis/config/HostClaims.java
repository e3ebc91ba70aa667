package dev.trellis.config;

import dev.trellis.config.internal.Problems;
import dev.trellis.model.DestinationRule;
import dev.trellis.model.LocalRateLimit;
import dev.trellis.model.Meta;
import dev.trellis.model.RetryBudget;
import dev.trellis.model.Service;
import dev.trellis.model.Subset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rejects two ServiceEntries that declare the same host, and two DestinationRules, two
 * LocalRateLimits or two RetryBudgets for the same host: which one applies would otherwise depend
 * on the order the files are read in. Rejects a host given a retry budget by both a RetryBudget
 * and its DestinationRule's {@code retryBudget}, Linkerd's model and Envoy's, which cannot both
 * bound the same retries.
 */
final class HostClaims {
    private HostClaims() {}

    static void check(List<Service> services, List<DestinationRule> rules, List<LocalRateLimit> limits,
            List<RetryBudget> budgets, Problems problems) {
        Map<String, Meta> declared = new HashMap<>();
        for (Service service : services) {
            for (int i = 0; i < service.hosts().size(); i++) {
                claim(declared, service.hosts().get(i), service.meta(), "spec.hosts[" + i + "]", problems);
            }
        }
        Map<String, Meta> ruled = new HashMap<>();
        for (DestinationRule rule : rules) {
            claim(ruled, rule.host(), rule.meta(), "spec.host", problems);
        }
        Map<String, Meta> limited = new HashMap<>();
        for (LocalRateLimit limit : limits) {
            claim(limited, limit.host(), limit.meta(), "spec.host", problems);
        }
        Map<String, Meta> budgeted = new HashMap<>();
        for (RetryBudget budget : budgets) {
            claim(budgeted, budget.host(), budget.meta(), "spec.host", problems);
        }
        for (DestinationRule rule : rules) {
            String path = retryBudgetPath(rule);
            Meta budget = budgeted.get(rule.host());
            if (path != null && budget != null) {
                problems.in(budget.origin() + " " + budget.ref())
                        .add("spec.host", "\"" + rule.host() + "\" has a retry budget already, from " + rule.meta().ref()
                                + " in " + rule.meta().origin() + " (" + path + ")"
                                + " (expected: one retry budget per host: this RetryBudget, or the DestinationRule's retryBudget)");
            }
        }
    }

    /** Where the rule sets Istio's retry budget, or null when it sets none. */
    private static String retryBudgetPath(DestinationRule rule) {
        if (rule.trafficPolicy().retryBudget().isPresent()) {
            return "spec.trafficPolicy.retryBudget";
        }
        List<Subset> subsets = rule.subsets();
        for (int i = 0; i < subsets.size(); i++) {
            if (subsets.get(i).trafficPolicy().retryBudget().isPresent()) {
                return "spec.subsets[" + i + "].trafficPolicy.retryBudget";
            }
        }
        return null;
    }

    private static void claim(Map<String, Meta> claims, String host, Meta meta, String path, Problems problems) {
        Meta earlier = claims.putIfAbsent(host, meta);
        if (earlier != null && earlier != meta) {
            problems.in(meta.origin() + " " + meta.ref())
                    .add(path, "\"" + host + "\" is already declared by " + earlier.ref() + " in " + earlier.origin()
                            + " (expected: one " + meta.kind() + " per host)");
        }
    }
}
