package dev.trellis.config.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The values an enum-like string field accepts, mapped to what they mean, and the values the
 * source format defines that Trellis does not implement yet (reported as such, not as typos).
 * Immutable: each method returns a new instance.
 */
public final class Choices<T> {
    private final Map<String, T> values;
    private final List<String> notImplemented;
    private final boolean ignoreCase;

    private Choices(Map<String, T> values, List<String> notImplemented, boolean ignoreCase) {
        this.values = values;
        this.notImplemented = notImplemented;
        this.ignoreCase = ignoreCase;
    }

    public static <T> Choices<T> of(String name, T value) {
        return new Choices<T>(Map.of(), List.of(), false).or(name, value);
    }

    public Choices<T> or(String name, T value) {
        Map<String, T> more = new LinkedHashMap<>(values);
        more.put(name, value);
        return new Choices<>(more, notImplemented, ignoreCase);
    }

    public Choices<T> notImplemented(String... names) {
        List<String> more = new ArrayList<>(notImplemented);
        more.addAll(List.of(names));
        return new Choices<>(values, more, ignoreCase);
    }

    /** Accept any letter case, as Istio does for port protocols. */
    public Choices<T> ignoringCase() {
        return new Choices<>(values, notImplemented, true);
    }

    Optional<T> find(String name) {
        return values.entrySet().stream()
                .filter(e -> normalize(e.getKey()).equals(normalize(name)))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    boolean isNotImplemented(String name) {
        return notImplemented.stream().anyMatch(n -> normalize(n).equals(normalize(name)));
    }

    private String normalize(String name) {
        return ignoreCase ? name.toUpperCase(Locale.ROOT) : name;
    }

    /** {@code one of A, B, C}, for messages. */
    public String expected() {
        return "one of " + String.join(", ", values.keySet());
    }
}
