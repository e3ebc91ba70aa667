package dev.trellis.proxy;

import static dev.trellis.proxy.xds.XdsTestResources.edsCluster;
import static dev.trellis.proxy.xds.XdsTestResources.endpoints;
import static dev.trellis.proxy.xds.XdsTestResources.httpListener;
import static dev.trellis.proxy.xds.XdsTestResources.routes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.ConfigException;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.proxy.config.ProxyConfig;
import dev.trellis.proxy.telemetry.Metrics;
import dev.trellis.proxy.xds.XdsAdapter;
import dev.trellis.proxy.xds.XdsState;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.KeepAliveClient;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A listener is known by its name, but bound to its address: a new name on the address of a
 * listener that goes away takes over its socket (binding it again beside the running one would
 * fail), a listener that keeps its name but moves is bound again where it was asked to be, and a
 * change where any bind fails changes nothing.
 */
class ListenerAddressTest {
    final Metrics metrics = new Metrics();
    final XdsAdapter adapter = new XdsAdapter(metrics);
    ProxyBootstrap bootstrap;
    HttpEchoServer a, b;
    ProxyServer server;

    @BeforeEach
    void start() throws Exception {
        bootstrap = ConfigLoader.parse("proxy.yaml", ConnectedProxyTest.ONE_UPSTREAM).proxies().get(0);
        a = new HttpEchoServer("a").start();
        b = new HttpEchoServer("b").start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        a.close();
        b.close();
    }

    /** Clusters a and b, route configurations "ra" and "rb" sending everything to them, and these listeners. */
    ProxyConfig config(Listener... listeners) throws ConfigException {
        XdsResources resources = XdsResources.EMPTY
                .with(XdsType.CLUSTER, byName(XdsType.CLUSTER, List.of(edsCluster("a"), edsCluster("b"))))
                .with(XdsType.ENDPOINT, byName(XdsType.ENDPOINT, List.of(endpoints("a", a.port()), endpoints("b", b.port()))))
                .with(XdsType.ROUTE, byName(XdsType.ROUTE, List.of(routes("ra", "a"), routes("rb", "b"))))
                .with(XdsType.LISTENER, byName(XdsType.LISTENER, List.of(listeners)));
        return adapter.adapt(bootstrap, resources, server == null ? null : server.config());
    }

    static Map<String, Message> byName(XdsType type, List<? extends Message> resources) {
        Map<String, Message> map = new TreeMap<>();
        resources.forEach(resource -> map.put(XdsState.name(type, resource), resource));
        return map;
    }

    void run(Listener... listeners) throws ConfigException {
        server = ProxyServer.start(config(listeners), metrics, new ProxyServer.Options(1, Duration.ofSeconds(5)));
    }

    static String servedBy(int port) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            return client.get("/").header("x-served-by");
        }
    }

    static boolean accepts(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (ConnectException e) {
            return false;
        }
    }

    @Test
    void theAdminPortAnswersWhileChangesBindListenersOnTheSameEventLoop() throws Exception {
        // One event loop serves the admin port and binds every listener: a /config_dump must
        // never wait for a change that waits for that loop to bind.
        server = ProxyServer.start(config(httpListener("l0", 0, "ra")), metrics, new ProxyServer.Options(1, Duration.ofSeconds(5)));
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> adminFailure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicLong dumps = new java.util.concurrent.atomic.AtomicLong();
        Thread admin = Thread.ofPlatform().name("config-dumps").start(() -> {
            try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", server.adminPort(), Duration.ofSeconds(30))) {
                while (!done.get()) {
                    assertThat(client.get("/config_dump").status()).isEqualTo(200);
                    dumps.incrementAndGet();
                }
            } catch (Throwable t) {
                adminFailure.set(t);
            }
        });
        java.util.concurrent.ExecutorService changes = java.util.concurrent.Executors.newSingleThreadExecutor(
                r -> Thread.ofPlatform().daemon().name("changes").unstarted(r));
        try {
            for (int i = 1; i <= 200; i++) {
                ProxyConfig next = config(httpListener("l" + i, 0, "ra")); // binds l<i>, retires l<i-1>
                try {
                    changes.submit(() -> {
                        server.apply(next);
                        return null;
                    }).get(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    server = null; // deadlocked: closing it would wait for ever too
                    throw new AssertionError("change " + i + " never finished: it waits for the event loop, which waits for it", e);
                }
            }
        } finally {
            done.set(true);
            changes.shutdownNow(); // interrupts a change stuck in its bind, so that the server can close
            admin.join(Duration.ofSeconds(40));
        }
        assertThat(adminFailure.get()).isNull();
        assertThat(dumps.get()).as("config dumps answered meanwhile").isPositive();
        assertThat(server.ports()).containsOnlyKeys("l200");
        assertThat(servedBy(server.port("l200"))).isEqualTo("a");
    }

    @Test
    void aListenerRenamedOnTheSameAddressTakesOverTheSocketAndItsConnections() throws Exception {
        run(httpListener("db", 0, "ra"));
        int port = server.port("db"); // bound on port 0; the change then names the port it got
        try (KeepAliveClient open = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            assertThat(open.get("/").header("x-served-by")).isEqualTo("a");

            server.apply(config(httpListener("db2", port, "rb")));

            assertThat(server.ports()).isEqualTo(Map.of("db2", port));
            assertThat(open.get("/").header("x-served-by")).as("an open connection sees the new config").isEqualTo("b");
            assertThat(open.connectionCount()).as("on the same connection").isEqualTo(1);
            assertThat(servedBy(port)).isEqualTo("b");
        }
    }

    @Test
    void aListenerThatKeepsItsNameButMovesIsBoundAgainWhereItWasAskedToBe() throws Exception {
        run(httpListener("out", 0, "ra"));
        int before = server.port("out");
        server.apply(config(httpListener("out", before, "ra")));
        assertThat(server.port("out")).as("configured on the port it got, it keeps its socket").isEqualTo(before);
        assertThat(servedBy(before)).isEqualTo("a");

        server.apply(config(httpListener("out", 0, "ra")));

        int after = server.port("out");
        assertThat(after).as("port 0 asks for any free port, not the one it had").isNotEqualTo(before);
        assertThat(servedBy(after)).isEqualTo("a");
        assertThat(accepts(before)).as("the old socket is closed").isFalse();
    }

    @Test
    void twoListenersThatSwapAddressesSwapSockets() throws Exception {
        run(httpListener("one", 0, "ra"), httpListener("two", 0, "rb"));
        int first = server.port("one");
        int second = server.port("two");
        server.apply(config(httpListener("one", first, "ra"), httpListener("two", second, "rb")));
        assertThat(server.ports()).as("configured on the ports they got, they keep their sockets")
                .isEqualTo(Map.of("one", first, "two", second));
        assertThat(servedBy(first)).isEqualTo("a");

        server.apply(config(httpListener("one", second, "ra"), httpListener("two", first, "rb")));

        assertThat(server.ports()).isEqualTo(Map.of("one", second, "two", first));
        assertThat(servedBy(first)).isEqualTo("b");
        assertThat(servedBy(second)).isEqualTo("a");
    }

    @Test
    void aChangeWhereABindFailsHandsNothingOver() throws Exception {
        run(httpListener("db", 0, "ra"));
        int port = server.port("db"); // bound on port 0; the change then names the port it got
        try (KeepAliveClient open = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10));
                ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(open.get("/").header("x-served-by")).isEqualTo("a");
            ProxyConfig blocked = config(httpListener("db2", port, "rb"), httpListener("blocked", taken.getLocalPort(), "rb"));
            assertThatThrownBy(() -> server.apply(blocked))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("listener blocked: cannot bind 127.0.0.1:" + taken.getLocalPort());

            assertThat(server.ports()).isEqualTo(Map.of("db", port));
            assertThat(server.config().listener("db")).isPresent();
            assertThat(open.get("/").header("x-served-by")).as("the open connection keeps the running config").isEqualTo("a");
            assertThat(servedBy(port)).isEqualTo("a");
        }
        server.apply(config(httpListener("db2", port, "rb")));
        assertThat(servedBy(port)).isEqualTo("b");
    }
}
