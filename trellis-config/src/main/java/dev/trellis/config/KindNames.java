package dev.trellis.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The names users may give a kind on a command line or in a URL, as {@code kubectl} and
 * {@code istioctl} take them: the kind itself in any case, its plural, or its short name
 * ({@code virtualservice}, {@code VirtualServices}, {@code vs}).
 */
public final class KindNames {
    private record Names(String kind, String plural, List<String> shortNames) {}

    private static final List<Names> ALL = List.of(
            new Names("ServiceEntry", "serviceentries", List.of("se")),
            new Names("VirtualService", "virtualservices", List.of("vs")),
            new Names("DestinationRule", "destinationrules", List.of("dr")),
            new Names("Proxy", "proxies", List.of()),
            new Names("LocalRateLimit", "localratelimits", List.of()),
            new Names("RetryBudget", "retrybudgets", List.of()));

    private KindNames() {}

    /** The kind a user's word names, if it names one Trellis reads. */
    public static Optional<String> resolve(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        return ALL.stream()
                .filter(n -> n.kind().toLowerCase(Locale.ROOT).equals(w) || n.plural().equals(w) || n.shortNames().contains(w))
                .map(Names::kind)
                .findFirst();
    }

    /** The plural a kind goes by in URLs: {@code virtualservices}. */
    public static String plural(String kind) {
        return ALL.stream().filter(n -> n.kind().equals(kind)).map(Names::plural).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not a kind Trellis reads: " + kind));
    }

    /** Every kind's name, for messages. */
    public static List<String> kinds() {
        return ALL.stream().map(Names::kind).toList();
    }
}
