package dev.trellis.controlplane.registry;

import dev.trellis.model.Protocol;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One workload instance, registered by its proxy while the proxy is connected: what Istio calls
 * an auto-registered WorkloadEntry.
 *
 * @param nodeId the xDS node of the proxy that registered it
 * @param proxy the name of that proxy's Proxy document
 * @param service the fully qualified host of the workload's service
 * @param address where other proxies reach it: the address its proxy connects from
 * @param port the proxy's inbound port
 * @param protocol what the inbound port speaks
 * @param locality where the workload runs ({@code region/zone/subzone}, as Istio's WorkloadEntry
 *     writes it), from its Proxy document; empty when it declared none
 */
public record Registration(
        String nodeId,
        String proxy,
        String namespace,
        String service,
        String address,
        int port,
        Protocol protocol,
        Map<String, String> labels,
        String serviceAccount,
        String locality,
        Instant registeredAt) {
    public Registration {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(protocol, "protocol");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        locality = locality == null ? "" : locality; // absent from registrations stored before localities
        Objects.requireNonNull(registeredAt, "registeredAt");
    }
}
