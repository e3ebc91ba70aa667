package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.KeepAliveClient;
import dev.trellis.xds.ProxyNodes;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import dev.trellis.xds.snapshot.ProxySnapshotBuilder;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trellis proxy --control-plane}, as its own process, against java-control-plane's server
 * acting as the control plane: it builds each node's resources from the bootstrap the node
 * carries in its metadata, as a Trellis control plane does.
 */
class ConnectedProxyProcessTest {
    static final Pattern ADMIN = Pattern.compile("admin on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    HttpEchoServer app;
    Server controlPlane;
    final SimpleCache<String> cache = new SimpleCache<>(Node::getId);
    final Map<String, ProxyBootstrap> nodes = new ConcurrentHashMap<>();
    final List<TrellisProcess> proxies = new ArrayList<>();
    MeshConfig mesh;

    @BeforeEach
    void start() throws Exception {
        app = new HttpEchoServer("app").start();
        mesh = ConfigLoader.parse("mesh.yaml", """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(app.port()));
        V3DiscoveryServer discovery = new V3DiscoveryServer(new DiscoveryServerCallbacks() {
            @Override
            public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
                Node node = request.getNode();
                if (!nodes.containsKey(node.getId())) {
                    ProxyBootstrap bootstrap = ProxyNodes.bootstrap(node).orElseThrow();
                    nodes.put(node.getId(), bootstrap);
                    XdsResources resources = ProxySnapshotBuilder.build(mesh, bootstrap).resources();
                    cache.setSnapshot(node.getId(), Snapshot.create(
                            resources.clusters().values(), resources.version(XdsType.CLUSTER),
                            resources.endpoints().values(), resources.version(XdsType.ENDPOINT),
                            resources.listeners().values(), resources.version(XdsType.LISTENER),
                            resources.routes().values(), resources.version(XdsType.ROUTE),
                            List.of(), ""));
                }
            }

            @Override
            public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
                throw new UnsupportedOperationException("delta xDS");
            }
        }, cache);
        controlPlane = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
                .addService(discovery.getAggregatedDiscoveryServiceImpl())
                .build()
                .start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            for (TrellisProcess proxy : proxies) {
                proxy.close(); // fails on a leak it reported
            }
        } finally {
            controlPlane.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            app.close();
        }
    }

    private TrellisProcess startProxy(Path config, String name) throws Exception {
        TrellisProcess proxy = TrellisProcess.start(dir.resolve(name + ".log"), dir.resolve("home"), "proxy",
                "--control-plane", "127.0.0.1:" + controlPlane.getPort(), "--config", config.toString(),
                "--data-dir", dir.resolve(name).toString(), "--threads", "1");
        proxies.add(proxy);
        return proxy;
    }

    private int adminPort(String name) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> {
            Matcher matcher = ADMIN.matcher(Files.readString(dir.resolve(name + ".log")));
            return matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
        }, port -> port > 0);
    }

    private static JsonNode dump(int adminPort) throws Exception {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", adminPort, Duration.ofSeconds(10))) {
            return new ObjectMapper().readTree(client.get("/config_dump").bodyText());
        }
    }

    /** The port the control plane's listener for app got (its bindPort is 0). */
    private static int listenerPort(int adminPort) {
        return await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            for (JsonNode listener : dump(adminPort).get("listeners")) {
                String address = listener.get("address").asText();
                return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            }
            return 0;
        }, port -> port > 0);
    }

    @Test
    void twoProxiesFromOneFileServeWhatTheControlPlaneSendsAsTwoNodes() throws Exception {
        Path config = Files.writeString(dir.resolve("proxy.yaml"), """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: app, port: 80, bindPort: 0}]
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ignored}
                spec:
                  hosts: [ignored]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1}]
                """);
        TrellisProcess first = startProxy(config, "first");
        TrellisProcess second = startProxy(config, "second");
        for (String name : List.of("first", "second")) {
            int admin = adminPort(name);
            int port = listenerPort(admin);
            try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
                KeepAliveClient.Response response = client.get("/hello");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("x-served-by")).isEqualTo("app");
            }
            JsonNode ads = dump(admin).get("ads");
            assertThat(ads.get("connected").asBoolean()).isTrue();
            assertThat(nodes).containsKey(ads.get("node").asText());
            assertThat(Files.readString(dir.resolve(name + ".log")))
                    .contains("ignoring 1 document(s) that are not a Proxy (ServiceEntry default/ignored)");
            assertThat(dir.resolve(name).resolve("accepted-xds.pb")).exists();
        }
        assertThat(nodes.keySet()).as("one node per process, though both came from one file").hasSize(2)
                .allMatch(id -> id.startsWith("client.default~"));

        first.signal("TERM");
        assertThat(first.awaitExit(Duration.ofSeconds(20))).isZero();
        assertThat(first.output()).contains("trellis proxy: stopped");
        assertThat(second.process.isAlive()).isTrue();
        second.signal("TERM");
        assertThat(second.awaitExit(Duration.ofSeconds(20))).isZero(); // and stop() fails on a leak either reported
    }

    @Test
    void aBadControlPlaneAddressIsAUsageError() throws Exception {
        Path config = Files.writeString(dir.resolve("proxy.yaml"), """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  admin: {port: 0}
                """);
        TrellisProcess bad = TrellisProcess.start(dir.resolve("bad.log"), dir.resolve("home"), "proxy",
                "--control-plane", "cp-without-port", "--config", config.toString());
        proxies.add(bad);
        assertThat(bad.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(bad.output()).contains("--control-plane: 'cp-without-port' (expected: HOST:PORT, e.g. 127.0.0.1:15010)");
    }
}
