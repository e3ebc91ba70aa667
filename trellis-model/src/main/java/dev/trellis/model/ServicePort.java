package dev.trellis.model;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * A port a service is called on.
 *
 * @param number the port clients address
 * @param name the port's name; endpoints may map it to their own port number
 * @param targetPort the port on the endpoints when they do not map it themselves
 */
public record ServicePort(int number, String name, Protocol protocol, OptionalInt targetPort) {
    public ServicePort {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(targetPort, "targetPort");
    }
}
