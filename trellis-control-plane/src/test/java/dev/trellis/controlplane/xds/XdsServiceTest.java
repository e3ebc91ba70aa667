package dev.trellis.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.config.ConfigLoader;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.xds.ProxyNodes;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class XdsServiceTest {
    static final String CDS = XdsType.CLUSTER.typeUrl();
    static final String LDS = XdsType.LISTENER.typeUrl();

    static final String MESH = """
            apiVersion: trellis.dev/v1alpha1
            kind: Proxy
            metadata: {name: web}
            spec:
              upstreams: [{service: catalog, port: 80, bindPort: 9090}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: catalog}
            spec:
              hosts: [catalog]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: 10.0.0.1}]
            """;

    final Map<String, String> connected = new ConcurrentHashMap<>();
    XdsService xds;
    AdsTestClient client;

    XdsService start(MeshConfig mesh) {
        xds = XdsService.start("127.0.0.1", 0, mesh, new XdsService.Events() {
            @Override
            public void proxyConnected(String nodeId, ProxyBootstrap bootstrap, String address) {
                connected.put(nodeId, address);
            }

            @Override
            public void proxyDisconnected(String nodeId) {
                connected.remove(nodeId);
            }
        });
        return xds;
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        xds.close();
    }

    static MeshConfig mesh(String yaml) throws Exception {
        return ConfigLoader.parse("mesh.yaml", yaml);
    }

    @Test
    void aProxyGetsItsOwnSnapshotAndShowsSyncedOnceItAcks() throws Exception {
        MeshConfig mesh = mesh(MESH);
        start(mesh);
        Node node = ProxyNodes.node(mesh.proxies().get(0), "i1");
        client = new AdsTestClient(xds.port(), node);
        client.request(LDS, "", "", List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.of(LDS).size() == 1);
        DiscoveryResponse listeners = client.of(LDS).get(0);
        assertThat(listeners.getResourcesCount()).isEqualTo(1);
        assertThat(connected).containsEntry(node.getId(), "127.0.0.1");
        assertThat(xds.statuses()).singleElement().satisfies(s -> assertThat(s.state()).isEqualTo(ProxyStatus.State.STALE));

        client.ack(listeners);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(xds.statuses()).singleElement().satisfies(s -> {
            assertThat(s.state()).isEqualTo(ProxyStatus.State.SYNCED);
            assertThat(s.name()).hasValue("web");
            assertThat(s.types().get("LDS").acked()).isEqualTo(listeners.getVersionInfo());
        }));
    }

    @Test
    void aNackedVersionIsHeldUntilTheSnapshotChanges() throws Exception {
        MeshConfig mesh = mesh(MESH);
        start(mesh);
        client = new AdsTestClient(xds.port(), ProxyNodes.node(mesh.proxies().get(0), "i1"));
        client.request(CDS, "", "", List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.of(CDS).size() == 1);
        DiscoveryResponse first = client.of(CDS).get(0);

        client.nack(first, "", "Cluster outbound|80||catalog.default.svc.cluster.local: circuit_breakers: not supported");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(xds.statuses()).singleElement().satisfies(s -> {
            assertThat(s.state()).isEqualTo(ProxyStatus.State.NACKED);
            assertThat(s.types().get("CDS").lastNack()).hasValueSatisfying(n -> {
                assertThat(n.version()).isEqualTo(first.getVersionInfo());
                assertThat(n.reason()).contains("circuit_breakers");
            });
        }));
        // A plain SimpleCache would answer the NACK with the same snapshot at once, again and again.
        Thread.sleep(500);
        assertThat(client.of(CDS)).hasSize(1);

        xds.meshChanged(mesh(MESH.replace("10.0.0.1", "10.0.0.2").replace("protocol: HTTP}", "protocol: HTTP2}")));
        await().atMost(Duration.ofSeconds(10)).until(() -> client.of(CDS).size() == 2);
        DiscoveryResponse second = client.of(CDS).get(1);
        assertThat(second.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
        client.ack(second);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(xds.statuses()).singleElement()
                .satisfies(s -> assertThat(s.types().get("CDS").lastNack()).isEmpty()));
    }

    @Test
    void requestsWithoutANodeAreAnsweredForTheirStreamsNode() throws Exception {
        MeshConfig mesh = mesh(MESH);
        start(mesh);
        client = new AdsTestClient(xds.port(), ProxyNodes.node(mesh.proxies().get(0), "i1"));
        client.request(CDS, "", "", List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.of(CDS).size() == 1);
        // xDS lets a client name its node only in the first request of a stream.
        client.request(Node.getDefaultInstance(), LDS, "", "", List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.of(LDS).size() == 1);
        assertThat(client.of(LDS).get(0).getResourcesList()).as("the proxy's own listener, not the proxyless snapshot's")
                .extracting(any -> any.unpack(io.envoyproxy.envoy.config.listener.v3.Listener.class).getName())
                .containsExactly("outbound|9090|catalog.default.svc.cluster.local:80");
    }

    @Test
    void aClientThatIsNotATrellisProxyGetsTheSharedSnapshot() throws Exception {
        start(mesh(MESH));
        client = new AdsTestClient(xds.port(), Node.newBuilder().setId("grpc-client").build());
        client.request(LDS, "", "", List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.of(LDS).size() == 1);
        assertThat(connected).as("only Trellis proxies register").isEmpty();
        assertThat(xds.statuses()).singleElement().satisfies(s -> {
            assertThat(s.nodeId()).isEqualTo("grpc-client");
            assertThat(s.name()).isEmpty();
        });
    }

    @Test
    void aProxyThatLeavesIsForgotten() throws Exception {
        MeshConfig mesh = mesh(MESH);
        start(mesh);
        client = new AdsTestClient(xds.port(), ProxyNodes.node(mesh.proxies().get(0), "i1"));
        client.request(LDS, "", "", List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> !connected.isEmpty());
        client.close();
        client = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> connected.isEmpty() && xds.statuses().isEmpty());
    }
}
