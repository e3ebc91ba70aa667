package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.Locality;
import dev.trellis.model.ServiceEndpoint;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reads one endpoint of a ServiceEntry: an address, per-port numbers, labels and locality. */
final class EndpointReader {
    private static final Fields ENDPOINT = Fields.of("address", "ports", "labels", "locality")
            .notImplemented("network", "weight", "serviceAccount");
    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile("(" + OCTET + "\\.){3}" + OCTET);
    // Starts with a hex digit or ':' and holds a ':', so InetAddress parses it as a literal and
    // never asks DNS.
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f.]*:[0-9A-Fa-f:.]*");
    private static final String EXPECTED_IP = "an IP address, as resolution is STATIC";
    private static final String EXPECTED_ADDRESS = "an IP address or a host name";

    private EndpointReader() {}

    /**
     * @param ipOnly resolution STATIC: the address is connected to as is, so it must be an IP
     * @param portNames the ServiceEntry's port names, which {@code ports} may map
     */
    static Optional<ServiceEndpoint> read(Node endpoint, boolean ipOnly, List<String> portNames) {
        if (!endpoint.isRequiredObject(ENDPOINT)) {
            return Optional.empty();
        }
        Node addressNode = endpoint.get("address");
        String expected = ipOnly ? EXPECTED_IP : EXPECTED_ADDRESS;
        Optional<String> address = addressNode.requiredString(expected);
        if (address.isPresent() && !isIpAddress(address.get()) && (ipOnly || !Names.isHostName(address.get()))) {
            addressNode.problem(expected);
        }
        Map<String, Integer> ports = new LinkedHashMap<>();
        endpoint.get("ports").entries("port names to port numbers").forEach((name, number) -> {
            if (!portNames.contains(name)) {
                number.report("\"" + name + "\" names no port of spec.ports (expected: one of "
                        + String.join(", ", portNames) + ")");
            }
            number.requiredInteger(1, 65535).ifPresent(n -> ports.put(name, n));
        });
        Map<String, String> labels = endpoint.get("labels").stringMap("labels");
        Locality locality = Names.locality(endpoint.get("locality")).orElse(Locality.NONE);
        return Optional.of(new ServiceEndpoint(address.orElse(""), ports, labels, locality));
    }

    private static boolean isIpAddress(String s) {
        if (IPV4.matcher(s).matches()) {
            return true;
        }
        try {
            return IPV6.matcher(s).matches() && InetAddress.getByName(s) != null;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
