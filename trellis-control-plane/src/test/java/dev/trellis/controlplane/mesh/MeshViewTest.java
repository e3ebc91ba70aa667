package dev.trellis.controlplane.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.config.ConfigLoader;
import dev.trellis.controlplane.registry.Registration;
import dev.trellis.model.Locality;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Protocol;
import dev.trellis.model.Service;
import dev.trellis.model.ServiceEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeshViewTest {
    static Registration registration(String node, String service, String address, int port, Protocol protocol) {
        return new Registration(node, node, "default", service, address, port, protocol, Map.of("version", node), "sa", "", Instant.EPOCH);
    }

    @Test
    void aRegisteredEndpointRunsWhereItsWorkloadSaidItDoes() {
        Registration west = new Registration("a", "a", "default", "catalog.default.svc.cluster.local", "10.0.0.1", 15006, Protocol.HTTP,
                Map.of(), "sa", "us-west/zone1/rack1", Instant.EPOCH);
        MeshConfig mesh = MeshView.of(MeshConfig.EMPTY, List.of(west, registration("b", "catalog.default.svc.cluster.local", "10.0.0.2",
                15006, Protocol.HTTP)));
        assertThat(mesh.service("catalog.default.svc.cluster.local").orElseThrow().endpoints()).extracting(ServiceEndpoint::locality)
                .containsExactly(new Locality("us-west", "zone1", "rack1"), Locality.NONE);
    }

    @Test
    void aServiceOnlyRegistrationsDeclareGetsPort80NamedHttp() {
        MeshConfig mesh = MeshView.of(MeshConfig.EMPTY, List.of(
                registration("b", "catalog.default.svc.cluster.local", "10.0.0.2", 15006, Protocol.GRPC),
                registration("a", "catalog.default.svc.cluster.local", "10.0.0.1", 15006, Protocol.GRPC)));
        Service catalog = mesh.service("catalog.default.svc.cluster.local").orElseThrow();
        assertThat(catalog.meta().ref()).isEqualTo("WorkloadEntry default/catalog");
        assertThat(catalog.ports()).singleElement().satisfies(p -> {
            assertThat(p.number()).isEqualTo(80);
            assertThat(p.name()).isEqualTo("http");
            assertThat(p.protocol()).isEqualTo(Protocol.GRPC);
        });
        assertThat(catalog.endpoints()).extracting(ServiceEndpoint::address).containsExactly("10.0.0.1", "10.0.0.2");
        assertThat(catalog.endpoints().get(0).portFor(catalog.ports().get(0))).isEqualTo(15006);
        assertThat(catalog.endpoints().get(0).labels()).containsEntry("version", "a");
    }

    @Test
    void aRegistrationJoinsTheServiceEntryThatDeclaresItsService() throws Exception {
        MeshConfig documents = ConfigLoader.parse("se.yaml", """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  ports: [{number: 8080, name: web, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 10.0.0.9}]
                """);
        MeshConfig mesh = MeshView.of(documents, List.of(registration("a", "catalog.default.svc.cluster.local", "10.0.0.1", 15006, Protocol.HTTP)));
        Service catalog = mesh.service("catalog.default.svc.cluster.local").orElseThrow();
        assertThat(mesh.services()).hasSize(1);
        assertThat(catalog.endpoints()).extracting(ServiceEndpoint::address).containsExactly("10.0.0.9", "10.0.0.1");
        assertThat(catalog.endpoints().get(1).portFor(catalog.ports().get(0))).as("reached on its inbound port").isEqualTo(15006);
    }
}
