package dev.trellis.config;

import dev.trellis.config.internal.Problems;
import dev.trellis.model.Meta;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rejects two documents that define the same resource, naming both. Proxy names are unique
 * across namespaces too: a proxy picks its bootstrap by name alone.
 */
final class Uniqueness {
    private Uniqueness() {}

    static void check(List<Meta> metas, Problems problems) {
        Map<String, Meta> byRef = new HashMap<>();
        Map<String, Meta> proxyByName = new HashMap<>();
        for (Meta meta : metas) {
            Meta same = byRef.putIfAbsent(meta.ref(), meta);
            if (same != null) {
                report(meta, same, "a name unique per kind and namespace", problems);
            } else if (meta.kind().equals("Proxy")) {
                Meta namesake = proxyByName.putIfAbsent(meta.name(), meta);
                if (namesake != null) {
                    report(meta, namesake, "a Proxy name unique across namespaces", problems);
                }
            }
        }
    }

    private static void report(Meta meta, Meta earlier, String expected, Problems problems) {
        problems.in(meta.origin() + " " + meta.ref())
                .add("metadata.name", "\"" + meta.name() + "\" is already used by " + earlier.ref() + " in "
                        + earlier.origin() + " (expected: " + expected + ")");
    }
}
