package dev.trellis.model;

import java.util.Locale;
import java.util.Optional;

/** Application protocol of a port, as Istio names it. */
public enum Protocol {
    HTTP,
    HTTP2,
    GRPC,
    TCP;

    /** True for the protocols whose requests are routed by HTTP routes. */
    public boolean isHttp() {
        return this != TCP;
    }

    /** True when connections to a port of this protocol must speak HTTP/2 (h2c). */
    public boolean requiresHttp2() {
        return this == HTTP2 || this == GRPC;
    }

    /** Parses a protocol name case-insensitively; empty when Trellis does not support it. */
    public static Optional<Protocol> parse(String name) {
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
