package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.proxy.config.ProxyConfig;
import dev.trellis.proxy.telemetry.Metrics;
import dev.trellis.proxy.xds.XdsAdapter;
import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpWire;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import dev.trellis.xds.snapshot.ProxySnapshotBuilder;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP connection manager's {@code stream_idle_timeout}, set on the listener by a control
 * plane (no mesh document sets it): a request on which nothing moves either way for that long is
 * answered 408, flag {@code SI}; one whose app answers within it is not. Over HTTP/2 too.
 */
class StreamIdleTimeoutTest {
    private static final String LISTENER = TestMesh.outbound("app", 80);

    private final TestMesh mesh = new TestMesh();
    private ProxyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        mesh.close();
    }

    /** Starts the proxy of {@link TestMesh#clientOf} with the outbound listener's stream idle timeout set. */
    private int start(HttpEchoServer app, Duration streamIdleTimeout) throws Exception {
        MeshConfig config = ConfigLoader.parse("mesh.yaml", TestMesh.clientOf("app", app.port()));
        ProxyBootstrap proxy = config.proxies().get(0);
        XdsResources resources = ProxySnapshotBuilder.build(config, proxy).resources();
        var listener = resources.listeners().get(LISTENER).toBuilder();
        var filter = listener.getFilterChainsBuilder(0).getFiltersBuilder(0);
        filter.setTypedConfig(Any.pack(filter.getTypedConfig().unpack(HttpConnectionManager.class).toBuilder()
                .setStreamIdleTimeout(com.google.protobuf.Duration.newBuilder().setNanos((int) streamIdleTimeout.toNanos()))
                .build()));
        var listeners = new TreeMap<>(resources.listeners());
        listeners.put(LISTENER, listener.build());
        Metrics metrics = new Metrics();
        ProxyConfig runtime = new XdsAdapter(metrics).adapt(proxy, resources.with(XdsType.LISTENER, listeners), null);
        server = ProxyServer.start(runtime, metrics, new ProxyServer.Options(1, Duration.ofSeconds(1)));
        return server.port(LISTENER);
    }

    @Test
    void aRequestNothingMovesOnIsAnswered408() throws Exception {
        HttpEchoServer app = mesh.closeLater(new HttpEchoServer("app").start()).slowedBy(Duration.ofSeconds(3));
        int port = start(app, Duration.ofMillis(300));
        try (HttpWire client = HttpWire.connect("127.0.0.1", port, Duration.ofSeconds(10))) {
            client.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
            HttpWire.Response response = client.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("stream timeout");
        }
    }

    @Test
    void aRequestAnsweredWithinTheTimeoutIsServed() throws Exception {
        HttpEchoServer app = mesh.closeLater(new HttpEchoServer("app").start()).slowedBy(Duration.ofMillis(200));
        int port = start(app, Duration.ofSeconds(2));
        try (HttpWire client = HttpWire.connect("127.0.0.1", port, Duration.ofSeconds(10))) {
            for (int i = 0; i < 3; i++) {
                client.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
        }
    }

    /** Over HTTP/2 each stream has its own timeout: the slow one is answered 408, the connection carries on. */
    @Test
    void anHttp2StreamNothingMovesOnIsAnswered408AndItsConnectionCarriesOn() throws Exception {
        HttpEchoServer app = mesh.closeLater(new HttpEchoServer("app").start());
        int port = start(app, Duration.ofMillis(300));
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, Duration.ofSeconds(10))) {
            Http2TestClient.Response slow = client.get("/delay/3000", Map.of());
            assertThat(slow.status()).isEqualTo(408);
            assertThat(slow.body()).contains("stream timeout");
            assertThat(client.get("/", Map.of()).status()).isEqualTo(200);
        }
    }
}
