package dev.trellis.model;

import java.util.List;
import java.util.Map;

/**
 * Header mutations on a request or a response, applied in the order remove, set, add
 * ({@code set} replaces every value, {@code add} appends one).
 */
public record HeaderOps(Map<String, String> set, Map<String, String> add, List<String> remove) {
    public static final HeaderOps NONE = new HeaderOps(Map.of(), Map.of(), List.of());

    public HeaderOps {
        set = Map.copyOf(set);
        add = Map.copyOf(add);
        remove = List.copyOf(remove);
    }

    public boolean isEmpty() {
        return set.isEmpty() && add.isEmpty() && remove.isEmpty();
    }
}
