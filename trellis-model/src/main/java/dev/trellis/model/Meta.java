package dev.trellis.model;

import java.util.Objects;

/** Identity of a resource: its kind, name and namespace, and where it was read from. */
public record Meta(String kind, String name, String namespace, Origin origin) {
    public static final String DEFAULT_NAMESPACE = "default";

    public Meta {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(origin, "origin");
    }

    /** {@code Kind namespace/name}, the way errors and dumps refer to a resource. */
    public String ref() {
        return kind + " " + namespace + "/" + name;
    }

    @Override
    public String toString() {
        return ref() + " in " + origin;
    }
}
