package dev.trellis.controlplane.mesh;

import dev.trellis.controlplane.registry.Registration;
import dev.trellis.model.Locality;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Meta;
import dev.trellis.model.Origin;
import dev.trellis.model.Service;
import dev.trellis.model.ServiceEndpoint;
import dev.trellis.model.ServicePort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The mesh the control plane serves: the documents applied to it, with the registered workloads
 * as endpoints. A registered workload joins the ServiceEntry that declares its service (reached
 * on its inbound port whatever the entry's port); a service no ServiceEntry declares gets one port,
 * 80, named {@code http}, with the protocol of its workloads' inbound listeners. A registered
 * endpoint runs in the locality its workload declared.
 */
public final class MeshView {
    static final int REGISTERED_PORT = 80;
    static final String REGISTERED_PORT_NAME = "http";

    private MeshView() {}

    public static MeshConfig of(MeshConfig documents, List<Registration> registrations) {
        Map<String, List<Registration>> byService = new LinkedHashMap<>();
        registrations.stream()
                .sorted((a, b) -> (a.service() + "/" + a.nodeId()).compareTo(b.service() + "/" + b.nodeId()))
                .forEach(r -> byService.computeIfAbsent(r.service(), k -> new ArrayList<>()).add(r));
        List<Service> services = new ArrayList<>();
        for (Service service : documents.services()) {
            List<ServiceEndpoint> endpoints = new ArrayList<>(service.endpoints());
            for (String host : service.hosts()) {
                for (Registration r : byService.getOrDefault(host, List.of())) {
                    Map<String, Integer> ports = new LinkedHashMap<>();
                    service.ports().forEach(p -> ports.put(p.name(), r.port()));
                    endpoints.add(new ServiceEndpoint(r.address(), ports, r.labels(), locality(r)));
                }
                byService.remove(host);
            }
            services.add(endpoints.size() == service.endpoints().size()
                    ? service
                    : new Service(service.meta(), service.hosts(), service.ports(), endpoints));
        }
        byService.forEach((host, members) -> {
            Registration first = members.get(0);
            services.add(new Service(
                    new Meta("WorkloadEntry", host.substring(0, host.indexOf('.') < 0 ? host.length() : host.indexOf('.')),
                            first.namespace(), new Origin("the registry", 0)),
                    List.of(host),
                    List.of(new ServicePort(REGISTERED_PORT, REGISTERED_PORT_NAME, first.protocol(), OptionalInt.empty())),
                    members.stream()
                            .map(r -> new ServiceEndpoint(r.address(), Map.of(REGISTERED_PORT_NAME, r.port()), r.labels(), locality(r)))
                            .toList()));
        });
        return new MeshConfig(documents.proxies(), services, documents.virtualServices(), documents.destinationRules(),
                documents.localRateLimits(),
                documents.retryBudgets());
    }

    /** A registration's locality; one that does not read (it was checked when its proxy connected) is none. */
    private static Locality locality(Registration r) {
        return Locality.parse(r.locality()).orElse(Locality.NONE);
    }
}
