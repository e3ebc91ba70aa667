package dev.trellis.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A service known to the mesh, with its ports and endpoints: what Istio's ServiceEntry declares.
 *
 * @param hosts the fully qualified names the service is called by
 */
public record Service(Meta meta, List<String> hosts, List<ServicePort> ports, List<ServiceEndpoint> endpoints) {
    public Service {
        Objects.requireNonNull(meta, "meta");
        hosts = List.copyOf(hosts);
        ports = List.copyOf(ports);
        endpoints = List.copyOf(endpoints);
    }

    public Optional<ServicePort> port(int number) {
        return ports.stream().filter(p -> p.number() == number).findFirst();
    }
}
