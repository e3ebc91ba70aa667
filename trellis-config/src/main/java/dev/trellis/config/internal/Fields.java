package dev.trellis.config.internal;

import java.util.List;

/**
 * The field names an object of a document may have: those Trellis reads, and those the source
 * format defines but Trellis does not implement yet. Both kinds of unexpected field are errors,
 * so a setting is never silently dropped.
 */
public record Fields(List<String> supported, List<String> notImplemented) {
    public Fields {
        supported = List.copyOf(supported);
        notImplemented = List.copyOf(notImplemented);
    }

    public static Fields of(String... supported) {
        return new Fields(List.of(supported), List.of());
    }

    public Fields notImplemented(String... names) {
        return new Fields(supported, List.of(names));
    }

    /** {@code one of a, b, c}: what an unexpected field name should have been. */
    String expectedName() {
        return supported.size() == 1 ? supported.get(0) : "one of " + String.join(", ", supported);
    }

    /** {@code an object with fields a, b, c}: what a value of another type should have been. */
    String expectedObject() {
        return "an object with fields " + String.join(", ", supported);
    }
}
