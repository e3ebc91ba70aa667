package dev.trellis.config;

import dev.trellis.config.internal.Problems;
import dev.trellis.model.DestinationRule;
import dev.trellis.model.LocalRateLimit;
import dev.trellis.model.Meta;
import dev.trellis.model.Service;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rejects two ServiceEntries that declare the same host, and two DestinationRules or two
 * LocalRateLimits for the same host: which one applies would otherwise depend on the order the
 * files are read in.
 */
final class HostClaims {
    private HostClaims() {}

    static void check(List<Service> services, List<DestinationRule> rules, List<LocalRateLimit> limits, Problems problems) {
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
