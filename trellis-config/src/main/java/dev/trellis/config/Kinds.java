package dev.trellis.config;

import dev.trellis.config.internal.Node;
import dev.trellis.config.internal.SpecReader;
import dev.trellis.config.istio.DestinationRuleReader;
import dev.trellis.config.istio.ServiceEntryReader;
import dev.trellis.config.istio.VirtualServiceReader;
import dev.trellis.config.trellis.LocalRateLimitReader;
import dev.trellis.config.trellis.ProxyReader;
import dev.trellis.config.trellis.RetryBudgetReader;
import java.util.List;
import java.util.Optional;

/** The document kinds Trellis reads, by apiVersion and kind, each with the reader of its spec. */
final class Kinds {
    /** One readable kind. */
    record Kind(String name, List<String> apiVersions, SpecReader reader) {}

    private static final List<String> ISTIO_NETWORKING =
            List.of("networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3");
    private static final List<String> TRELLIS = List.of("trellis.dev/v1alpha1");

    static final List<Kind> ALL = List.of(
            new Kind("ServiceEntry", ISTIO_NETWORKING, ServiceEntryReader::read),
            new Kind("VirtualService", ISTIO_NETWORKING, VirtualServiceReader::read),
            new Kind("DestinationRule", ISTIO_NETWORKING, DestinationRuleReader::read),
            new Kind("Proxy", TRELLIS, ProxyReader::read),
            new Kind("LocalRateLimit", TRELLIS, LocalRateLimitReader::read),
            new Kind("RetryBudget", TRELLIS, RetryBudgetReader::read));

    // Istio networking kinds that exist but that Trellis cannot apply yet.
    private static final List<String> NOT_IMPLEMENTED =
            List.of("Gateway", "Sidecar", "WorkloadEntry", "WorkloadGroup", "EnvoyFilter", "ProxyConfig");

    private Kinds() {}

    /** The kind of a document, reporting an apiVersion or kind that Trellis does not read. */
    static Optional<Kind> find(Node apiVersionNode, Node kindNode) {
        List<String> apiVersions = ALL.stream().flatMap(k -> k.apiVersions().stream()).distinct().toList();
        Optional<String> apiVersion = apiVersionNode.requiredString(oneOf(apiVersions));
        Optional<String> kind = kindNode.requiredString(oneOf(ALL.stream().map(Kind::name).toList()));
        if (apiVersion.isEmpty() || kind.isEmpty()) {
            return Optional.empty();
        }
        List<Kind> ofVersion = ALL.stream().filter(k -> k.apiVersions().contains(apiVersion.get())).toList();
        if (ofVersion.isEmpty()) {
            apiVersionNode.problem(oneOf(apiVersions));
            return Optional.empty();
        }
        Optional<Kind> found = ofVersion.stream().filter(k -> k.name().equals(kind.get())).findFirst();
        if (found.isEmpty()) {
            String expected = oneOf(ofVersion.stream().map(Kind::name).toList()) + " with apiVersion " + apiVersion.get();
            boolean known = ISTIO_NETWORKING.contains(apiVersion.get()) && NOT_IMPLEMENTED.contains(kind.get());
            kindNode.report(kindNode.given() + (known ? " is not implemented yet" : "") + " (expected: " + expected + ")");
        }
        return found;
    }

    private static String oneOf(List<String> names) {
        return names.size() == 1 ? names.get(0) : "one of " + String.join(", ", names);
    }
}
