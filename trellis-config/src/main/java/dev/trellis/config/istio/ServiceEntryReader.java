package dev.trellis.config.istio;

import dev.trellis.config.internal.Choices;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.Meta;
import dev.trellis.model.Protocol;
import dev.trellis.model.Service;
import dev.trellis.model.ServiceEndpoint;
import dev.trellis.model.ServicePort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** Reads Istio's ServiceEntry into a {@link Service}: its hosts, ports and endpoints. */
public final class ServiceEntryReader {
    private static final Fields SPEC = Fields.of("hosts", "ports", "location", "resolution", "endpoints")
            .notImplemented("addresses", "exportTo", "subjectAltNames", "workloadSelector");
    private static final Fields PORT = Fields.of("number", "name", "protocol", "targetPort");
    // Istio compares protocol names in any case.
    private static final Choices<Protocol> PROTOCOLS = Choices.of("HTTP", Protocol.HTTP)
            .or("HTTP2", Protocol.HTTP2)
            .or("GRPC", Protocol.GRPC)
            .or("TCP", Protocol.TCP)
            .notImplemented("HTTPS", "TLS", "GRPC-WEB", "MONGO", "MYSQL", "REDIS", "UDP")
            .ignoringCase();

    private enum Resolution {
        STATIC,
        DNS
    }

    // NONE (pass-through to the caller's original destination) needs transparent capture.
    private static final Choices<Resolution> RESOLUTIONS = Choices.of("STATIC", Resolution.STATIC)
            .or("DNS", Resolution.DNS)
            .notImplemented("NONE", "DNS_ROUND_ROBIN");
    // Accepted for compatibility; Trellis treats both locations alike.
    private static final Choices<String> LOCATIONS =
            Choices.of("MESH_INTERNAL", "MESH_INTERNAL").or("MESH_EXTERNAL", "MESH_EXTERNAL");

    private ServiceEntryReader() {}

    public static Optional<Service> read(Meta meta, Node spec) {
        if (!spec.isRequiredObject(SPEC)) {
            return Optional.empty();
        }
        List<String> hosts = Names.hosts(spec.get("hosts"), meta.namespace());
        List<ServicePort> ports = ports(spec.get("ports"));
        spec.get("location").oneOf(LOCATIONS);
        Optional<Resolution> resolution = spec.get("resolution").requiredOneOf(RESOLUTIONS);
        boolean isStatic = resolution.equals(Optional.of(Resolution.STATIC));
        Node endpointList = spec.get("endpoints");
        List<Node> items = isStatic
                ? endpointList.requiredList("endpoints (resolution STATIC has no other way to find them)")
                : endpointList.list("endpoints");
        List<String> portNames = ports.stream().map(ServicePort::name).toList();
        List<ServiceEndpoint> endpoints = new ArrayList<>();
        for (Node item : items) {
            EndpointReader.read(item, isStatic, portNames).ifPresent(endpoints::add);
        }
        if (resolution.equals(Optional.of(Resolution.DNS)) && items.isEmpty()) {
            // Istio's rule: without endpoints, DNS resolves the hosts themselves.
            hosts.forEach(h -> endpoints.add(new ServiceEndpoint(h, Map.of(), Map.of())));
        }
        return Optional.of(new Service(meta, hosts, ports, endpoints));
    }

    private static List<ServicePort> ports(Node list) {
        List<ServicePort> ports = new ArrayList<>();
        Map<String, String> pathByName = new HashMap<>();
        Map<Integer, String> pathByNumber = new HashMap<>();
        for (Node port : list.requiredList("ports")) {
            if (!port.isRequiredObject(PORT)) {
                continue;
            }
            Node numberNode = port.get("number");
            OptionalInt number = numberNode.requiredInteger(1, 65535);
            Node nameNode = port.get("name");
            Optional<String> name = Names.label(nameNode);
            Optional<Protocol> protocol = port.get("protocol").requiredOneOf(PROTOCOLS);
            OptionalInt targetPort = port.get("targetPort").integer(1, 65535);
            name.ifPresent(n -> unique(nameNode, pathByName.putIfAbsent(n, nameNode.path())));
            number.ifPresent(n -> unique(numberNode, pathByNumber.putIfAbsent(n, numberNode.path())));
            ports.add(new ServicePort(number.orElse(0), name.orElse(""), protocol.orElse(Protocol.TCP), targetPort));
        }
        return ports;
    }

    private static void unique(Node n, String otherPath) {
        if (otherPath != null) {
            n.problem("a value not used by " + otherPath);
        }
    }
}
