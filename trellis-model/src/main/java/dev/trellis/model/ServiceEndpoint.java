package dev.trellis.model;

import java.util.Map;
import java.util.Objects;

/**
 * One instance of a service.
 *
 * @param address an IP address or a DNS name
 * @param ports port name to the endpoint's port number, overriding the service port's
 * @param labels the instance's labels, which subsets select on
 * @param locality where the instance runs, for locality-aware balancing
 */
public record ServiceEndpoint(String address, Map<String, Integer> ports, Map<String, String> labels, Locality locality) {
    public ServiceEndpoint {
        Objects.requireNonNull(address, "address");
        ports = Map.copyOf(ports);
        labels = Map.copyOf(labels);
        Objects.requireNonNull(locality, "locality");
    }

    /** An instance with no declared locality. */
    public ServiceEndpoint(String address, Map<String, Integer> ports, Map<String, String> labels) {
        this(address, ports, labels, Locality.NONE);
    }

    /** The port to connect to for {@code servicePort}. */
    public int portFor(ServicePort servicePort) {
        Integer mapped = ports.get(servicePort.name());
        return mapped != null ? mapped : servicePort.targetPort().orElse(servicePort.number());
    }
}
