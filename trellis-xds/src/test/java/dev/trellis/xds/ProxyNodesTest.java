package dev.trellis.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.Locality;
import dev.trellis.model.ProxyBootstrap;
import io.envoyproxy.envoy.config.core.v3.Node;
import org.junit.jupiter.api.Test;

class ProxyNodesTest {
    @Test
    void theBootstrapTravelsInTheNodeMetadata() throws Exception {
        ProxyBootstrap proxy = ConfigLoader.parse("proxy.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: catalog-a, namespace: shop}
                spec:
                  workload: {service: catalog, serviceAccount: catalog, labels: {app: catalog, version: v1}}
                  inbound: {port: 15006, appPort: 8080, protocol: GRPC}
                  upstreams: [{service: db, port: 5432, bindPort: 9432}]
                  admin: {port: 15001}
                """).proxies().get(0);
        Node node = ProxyNodes.node(proxy, "a1b2");
        assertThat(node.getId()).isEqualTo("catalog-a.shop~a1b2");
        assertThat(node.getCluster()).isEqualTo("catalog.shop.svc.cluster.local");
        ProxyBootstrap back = ProxyNodes.bootstrap(node).orElseThrow();
        assertThat(back.workload()).isEqualTo(proxy.workload());
        assertThat(back.inbound()).isEqualTo(proxy.inbound());
        assertThat(back.upstreams()).isEqualTo(proxy.upstreams());
        assertThat(back.admin()).isEqualTo(proxy.admin());
        assertThat(back.meta().name()).isEqualTo("catalog-a");
        assertThat(back.meta().namespace()).isEqualTo("shop");
    }

    @Test
    void theWorkloadsLocalityTravelsInTheMetadataAndAsTheNodesLocality() throws Exception {
        ProxyBootstrap proxy = ConfigLoader.parse("proxy.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: web}
                spec:
                  workload: {locality: us-west/zone1/rack1}
                """).proxies().get(0);
        Node node = ProxyNodes.node(proxy, "x");
        assertThat(node.getLocality().getRegion()).isEqualTo("us-west");
        assertThat(node.getLocality().getZone()).isEqualTo("zone1");
        assertThat(node.getLocality().getSubZone()).isEqualTo("rack1");
        assertThat(ProxyNodes.bootstrap(node).orElseThrow().workload().locality()).isEqualTo(new Locality("us-west", "zone1", "rack1"));

        Struct.Builder metadata = node.getMetadata().toBuilder();
        Struct.Builder root = metadata.getFieldsOrThrow(ProxyNodes.METADATA_KEY).getStructValue().toBuilder();
        Struct.Builder workload = root.getFieldsOrThrow("workload").getStructValue().toBuilder();
        Node older = node.toBuilder().setMetadata(metadata.putFields(ProxyNodes.METADATA_KEY, Value.newBuilder().setStructValue(
                root.putFields("workload", Value.newBuilder().setStructValue(workload.removeFields("locality")).build())).build())).build();
        assertThat(ProxyNodes.bootstrap(older).orElseThrow().workload().locality()).as("from a proxy older than localities")
                .isSameAs(Locality.NONE);
        Node bad = node.toBuilder().setMetadata(metadata.putFields(ProxyNodes.METADATA_KEY, Value.newBuilder().setStructValue(
                root.putFields("workload", Value.newBuilder().setStructValue(workload.putFields("locality",
                        Value.newBuilder().setStringValue("a/b/c/d").build())).build())).build())).build();
        assertThatThrownBy(() -> ProxyNodes.bootstrap(bad)).hasMessage("node metadata trellis.dev/proxy.workload.locality: a/b/c/d"
                + " (expected: " + Locality.EXPECTED + ")");
    }

    @Test
    void aNodeWithoutTrellisMetadataIsNotAProxy() {
        assertThat(ProxyNodes.bootstrap(Node.newBuilder().setId("grpc-client").build())).isEmpty();
    }

    @Test
    void badMetadataNamesTheField() {
        Node node = Node.newBuilder().setId("x").setMetadata(Struct.newBuilder().putFields(ProxyNodes.METADATA_KEY,
                Value.newBuilder().setStructValue(Struct.newBuilder().putFields("name", Value.newBuilder().setNumberValue(3).build())).build()))
                .build();
        assertThatThrownBy(() -> ProxyNodes.bootstrap(node))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node metadata trellis.dev/proxy.workload: missing (expected: an object)");
    }
}
