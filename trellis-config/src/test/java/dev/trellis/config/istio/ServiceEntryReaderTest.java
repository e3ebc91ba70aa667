package dev.trellis.config.istio;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.ConfigException;
import dev.trellis.model.Locality;
import dev.trellis.model.Protocol;
import dev.trellis.model.Service;
import dev.trellis.model.ServiceEndpoint;
import dev.trellis.model.ServicePort;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceEntryReaderTest {
    private static final String PREFIX = "test.yaml (document 1) ServiceEntry default/payments: ";

    /** A ServiceEntry with {@code spec}, indented by 2. */
    private static String serviceEntry(String spec) {
        return """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: payments}
                spec:
                """ + spec.indent(2);
    }

    @Test
    void dnsWithoutEndpointsResolvesEachHost() throws ConfigException {
        Service service = read(serviceEntry("""
                hosts: [api.payments.example, payments]
                location: MESH_EXTERNAL
                ports:
                - {number: 443, name: grpc, protocol: GRPC}
                - {number: 9000, name: raw, protocol: tcp}
                resolution: DNS
                """)).services().get(0);

        assertThat(service.hosts()).containsExactly("api.payments.example", "payments.default.svc.cluster.local");
        assertThat(service.ports()).containsExactly(
                new ServicePort(443, "grpc", Protocol.GRPC, OptionalInt.empty()),
                new ServicePort(9000, "raw", Protocol.TCP, OptionalInt.empty()));
        assertThat(service.endpoints()).containsExactly(
                new ServiceEndpoint("api.payments.example", Map.of(), Map.of()),
                new ServiceEndpoint("payments.default.svc.cluster.local", Map.of(), Map.of()));
    }

    @Test
    void dnsEndpointsMayBeHostNames() throws ConfigException {
        Service service = read(serviceEntry("""
                hosts: [payments]
                ports: [{number: 80, name: http, protocol: HTTP2}]
                resolution: DNS
                endpoints:
                - {address: eu.payments.example, labels: {region: eu}}
                - {address: "fd00::7", labels: {region: us}}
                """)).services().get(0);

        assertThat(service.endpoints()).extracting(ServiceEndpoint::address)
                .containsExactly("eu.payments.example", "fd00::7");
    }

    @Test
    void staticNeedsEndpointsWithIpAddresses() {
        assertThat(problem(serviceEntry("""
                hosts: [payments]
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                """))).isEqualTo(PREFIX + "spec.endpoints: missing (expected: a non-empty list of endpoints "
                + "(resolution STATIC has no other way to find them))");
        assertThat(problems(serviceEntry("""
                hosts: [payments]
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                endpoints: [{address: payments.example}, {address: 10.0.0.256}, {address: "::1"}]
                """))).containsExactly(
                PREFIX + "spec.endpoints[0].address: \"payments.example\" (expected: an IP address, as resolution is STATIC)",
                PREFIX + "spec.endpoints[1].address: \"10.0.0.256\" (expected: an IP address, as resolution is STATIC)");
    }

    @Test
    void unsupportedProtocolsAndResolutionsListTheSupportedOnes() {
        assertThat(problems(serviceEntry("""
                hosts: [payments]
                ports:
                - {number: 443, name: https, protocol: HTTPS}
                - {number: 80, name: http, protocol: SPDY}
                resolution: NONE
                """))).containsExactly(
                PREFIX + "spec.ports[0].protocol: \"HTTPS\" is not implemented yet (expected: one of HTTP, HTTP2, GRPC, TCP)",
                PREFIX + "spec.ports[1].protocol: \"SPDY\" (expected: one of HTTP, HTTP2, GRPC, TCP)",
                PREFIX + "spec.resolution: \"NONE\" is not implemented yet (expected: one of STATIC, DNS)");
    }

    @Test
    void portsNeedUniqueNamesAndNumbers() {
        assertThat(problems(serviceEntry("""
                hosts: [payments]
                ports:
                - {number: 80, name: http, protocol: HTTP}
                - {number: 80, name: http, protocol: HTTP}
                - {number: 81, protocol: HTTP}
                resolution: DNS
                """))).containsExactly(
                PREFIX + "spec.ports[1].name: \"http\" (expected: a value not used by spec.ports[0].name)",
                PREFIX + "spec.ports[1].number: 80 (expected: a value not used by spec.ports[0].number)",
                PREFIX + "spec.ports[2].name: missing (expected: a DNS label: lower-case letters, digits and '-', "
                        + "at most 63 characters)");
    }

    @Test
    void unimplementedFieldsOfTheSpecAndOfEndpointsAreRejected() {
        assertThat(problems(serviceEntry("""
                hosts: [payments]
                addresses: [240.0.0.1]
                exportTo: ["."]
                subjectAltNames: [spiffe://cluster.local/ns/default/sa/payments]
                workloadSelector: {labels: {app: payments}}
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                endpoints:
                - {address: 10.0.0.1, weight: 2, network: n1, serviceAccount: payments}
                """))).containsExactly(
                PREFIX + "spec.addresses: not implemented yet (expected: one of hosts, ports, location, resolution, endpoints)",
                PREFIX + "spec.exportTo: not implemented yet (expected: one of hosts, ports, location, resolution, endpoints)",
                PREFIX + "spec.subjectAltNames: not implemented yet "
                        + "(expected: one of hosts, ports, location, resolution, endpoints)",
                PREFIX + "spec.workloadSelector: not implemented yet "
                        + "(expected: one of hosts, ports, location, resolution, endpoints)",
                PREFIX + "spec.endpoints[0].weight: not implemented yet (expected: one of address, ports, labels, locality)",
                PREFIX + "spec.endpoints[0].network: not implemented yet (expected: one of address, ports, labels, locality)",
                PREFIX + "spec.endpoints[0].serviceAccount: not implemented yet (expected: one of address, ports, labels, locality)");
    }

    @Test
    void endpointsMayNameTheirLocality() throws ConfigException {
        Service service = read(serviceEntry("""
                hosts: [payments]
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                endpoints:
                - {address: 10.0.0.1, locality: us-west/zone1/rack-1.a}
                - {address: 10.0.0.2, locality: eu-west}
                - {address: 10.0.0.3}
                """)).services().get(0);
        assertThat(service.endpoints()).extracting(ServiceEndpoint::locality).containsExactly(
                new Locality("us-west", "zone1", "rack-1.a"), new Locality("eu-west", "", ""), Locality.NONE);
    }

    @Test
    void badLocalitiesAreRefused() {
        String expected = " (expected: a locality region, region/zone or region/zone/subzone, each part letters, digits, '-', '_' or '.')";
        assertThat(problems(serviceEntry("""
                hosts: [payments]
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                endpoints:
                - {address: 10.0.0.1, locality: us/us-east-1/az-1/r11}
                - {address: 10.0.0.2, locality: "us-west//rack1"}
                - {address: 10.0.0.3, locality: "us west"}
                - {address: 10.0.0.4, locality: ""}
                - {address: 10.0.0.5, locality: "us-west/*"}
                - {address: 10.0.0.6, locality: [us-west]}
                """))).containsExactly(
                PREFIX + "spec.endpoints[0].locality: \"us/us-east-1/az-1/r11\"" + expected,
                PREFIX + "spec.endpoints[1].locality: \"us-west//rack1\"" + expected,
                PREFIX + "spec.endpoints[2].locality: \"us west\"" + expected,
                PREFIX + "spec.endpoints[3].locality: \"\"" + expected,
                PREFIX + "spec.endpoints[4].locality: \"us-west/*\"" + expected,
                PREFIX + "spec.endpoints[5].locality: [\"us-west\"]" + expected);
    }

    @Test
    void endpointPortsMustNameADeclaredPort() {
        assertThat(problems(serviceEntry("""
                hosts: [payments]
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                endpoints:
                - {address: 10.0.0.1, ports: {grpc: 9090, http: 70000}, labels: {version: 2}}
                """))).containsExactly(
                PREFIX + "spec.endpoints[0].ports.grpc: \"grpc\" names no port of spec.ports (expected: one of http)",
                PREFIX + "spec.endpoints[0].ports.http: 70000 (expected: 1..65535)",
                PREFIX + "spec.endpoints[0].labels.version: 2 (expected: a string)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "Http", "HTTP"})
    void protocolsAreCaseInsensitive(String protocol) throws ConfigException {
        Service service = read(serviceEntry("""
                hosts: [payments]
                ports: [{number: 80, name: http, protocol: PROTOCOL}]
                resolution: DNS
                """.replace("PROTOCOL", protocol))).services().get(0);

        assertThat(service.ports()).extracting(ServicePort::protocol).containsExactly(Protocol.HTTP);
    }

    @Test
    void hostsPortsAndResolutionAreRequired() {
        assertThat(problems(serviceEntry("location: SOMEWHERE"))).isEqualTo(List.of(
                PREFIX + "spec.hosts: missing (expected: a non-empty list of host names)",
                PREFIX + "spec.ports: missing (expected: a non-empty list of ports)",
                PREFIX + "spec.location: \"SOMEWHERE\" (expected: one of MESH_INTERNAL, MESH_EXTERNAL)",
                PREFIX + "spec.resolution: missing (expected: one of STATIC, DNS)"));
    }
}
