package dev.trellis.proxy;

import static dev.trellis.proxy.xds.XdsTestResources.edsCluster;
import static dev.trellis.proxy.xds.XdsTestResources.endpoints;
import static dev.trellis.proxy.xds.XdsTestResources.httpListener;
import static dev.trellis.proxy.xds.XdsTestResources.routes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.proxy.xds.Backoff;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.KeepAliveClient;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warming, as Envoy does it, with the responses sent in exactly the order that matters: a cluster
 * is not used before its endpoints arrive, a listener not before its routes, and what runs keeps
 * running meanwhile. Also: an update that cannot be applied is NACKed and changes nothing.
 */
class WarmingOverAdsTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    FakeAdsServer controlPlane;
    HttpEchoServer a, b;
    ConnectedProxy proxy;

    @BeforeEach
    void start() throws Exception {
        controlPlane = new FakeAdsServer();
        a = new HttpEchoServer("a").start();
        b = new HttpEchoServer("b").start();
        Path file = Files.writeString(dir.resolve("proxy.yaml"), ConnectedProxyTest.ONE_UPSTREAM);
        proxy = ConnectedProxy.start(List.of(file), null, new ConnectedProxy.Options(List.of(controlPlane.address()),
                dir.resolve("data"), new ProxyServer.Options(1, Duration.ofSeconds(5)),
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), RandomGenerator.getDefault())));
    }

    @AfterEach
    void stop() {
        proxy.close();
        controlPlane.close();
        a.close();
        b.close();
    }

    /** Listener "out" routes (as "r") every request to cluster "a", whose endpoint is server a; "b" too when asked. */
    int running(boolean withB) throws Exception {
        return running(withB, 0);
    }

    /** As {@link #running(boolean)}, with listener "out" on {@code listenerPort} (0: any free port). */
    int running(boolean withB, int listenerPort) throws Exception {
        controlPlane.next(XdsType.CLUSTER);
        controlPlane.next(XdsType.LISTENER);
        controlPlane.respond(XdsType.CLUSTER, "c1", withB ? List.of(edsCluster("a"), edsCluster("b")) : List.of(edsCluster("a")));
        ack(XdsType.CLUSTER, "c1");
        controlPlane.next(XdsType.ENDPOINT);
        controlPlane.respond(XdsType.LISTENER, "l1", List.of(httpListener("out", listenerPort, "r")));
        ack(XdsType.LISTENER, "l1");
        controlPlane.next(XdsType.ROUTE);
        controlPlane.respond(XdsType.ENDPOINT, "e1",
                withB ? List.of(endpoints("a", a.port()), endpoints("b", b.port())) : List.of(endpoints("a", a.port())));
        ack(XdsType.ENDPOINT, "e1");
        controlPlane.respond(XdsType.ROUTE, "r1", List.of(routes("r", "a")));
        ack(XdsType.ROUTE, "r1");
        int port = ConnectedProxyTest.port(proxy, "out");
        assertThat(servedBy(port)).isEqualTo("a");
        return port;
    }

    DiscoveryRequest ack(XdsType type, String version) throws InterruptedException {
        DiscoveryRequest request = controlPlane.next(type);
        assertThat(request.hasErrorDetail()).as(type.shortName() + " " + version + " accepted: " + request.getErrorDetail()).isFalse();
        assertThat(request.getVersionInfo()).isEqualTo(version);
        return request;
    }

    static String servedBy(int port) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            return client.get("/").header("x-served-by");
        }
    }

    @Test
    void aNewClusterIsNotUsedBeforeItsEndpointsArriveNorTheRouteThatSendsToIt() throws Exception {
        int port = running(false);
        controlPlane.respond(XdsType.CLUSTER, "c2", List.of(edsCluster("a"), edsCluster("b")));
        ack(XdsType.CLUSTER, "c2");
        assertThat(controlPlane.next(XdsType.ENDPOINT).getResourceNamesList()).containsExactly("a", "b");
        controlPlane.respond(XdsType.ROUTE, "r2", List.of(routes("r", "b")));
        ack(XdsType.ROUTE, "r2");

        assertThat(proxy.accepted().version(XdsType.ROUTE)).as("accepted, and warming").hasValue("r2");
        assertThat(proxy.server().config().clusters()).doesNotContainKey("b");
        for (int i = 0; i < 5; i++) {
            assertThat(servedBy(port)).as("the route to b waits for b's endpoints; the running one stays").isEqualTo("a");
        }

        controlPlane.respond(XdsType.ENDPOINT, "e2", List.of(endpoints("a", a.port()), endpoints("b", b.port())));
        ack(XdsType.ENDPOINT, "e2");
        await().atMost(WAIT).until(() -> servedBy(port), "b"::equals);
    }

    @Test
    void aRunningClusterKeepsItsEndpointsUntilItsNewAssignmentArrives() throws Exception {
        int port = running(false);
        Cluster renamed = edsCluster("a").toBuilder().setEdsClusterConfig(edsCluster("a").getEdsClusterConfig().toBuilder()
                .setServiceName("a-v2")).build();
        controlPlane.respond(XdsType.CLUSTER, "c2", List.of(renamed));
        ack(XdsType.CLUSTER, "c2");
        assertThat(controlPlane.next(XdsType.ENDPOINT).getResourceNamesList()).containsExactly("a-v2");
        for (int i = 0; i < 5; i++) {
            assertThat(servedBy(port)).as("cluster a runs on with its old endpoints").isEqualTo("a");
        }

        controlPlane.respond(XdsType.ENDPOINT, "e2", List.of(endpoints("a-v2", b.port())));
        ack(XdsType.ENDPOINT, "e2");
        await().atMost(WAIT).until(() -> servedBy(port), "b"::equals);
    }

    @Test
    void aNewListenerWaitsForItsRoutesAndARunningOneKeepsItsOldRoutesMeanwhile() throws Exception {
        int port = running(true);
        controlPlane.respond(XdsType.LISTENER, "l2", List.of(httpListener("out", 0, "r-new"), httpListener("out2", 0, "r2")));
        ack(XdsType.LISTENER, "l2");
        assertThat(controlPlane.next(XdsType.ROUTE).getResourceNamesList()).containsExactly("r-new", "r2");
        assertThat(proxy.server().ports()).as("out2 waits for r2").doesNotContainKey("out2");
        for (int i = 0; i < 5; i++) {
            assertThat(servedBy(port)).as("out keeps its old routes until r-new arrives").isEqualTo("a");
        }

        controlPlane.respond(XdsType.ROUTE, "r2", List.of(routes("r-new", "b"))); // a server may send some names only
        ack(XdsType.ROUTE, "r2");
        await().atMost(WAIT).until(() -> servedBy(port), "b"::equals);
        assertThat(proxy.server().ports()).doesNotContainKey("out2");

        controlPlane.respond(XdsType.ROUTE, "r3", List.of(routes("r2", "a")));
        ack(XdsType.ROUTE, "r3");
        int port2 = ConnectedProxyTest.port(proxy, "out2");
        assertThat(servedBy(port2)).isEqualTo("a");
        assertThat(servedBy(port)).as("r-new stays, though the last response did not carry it").isEqualTo("b");
    }

    @Test
    void aListenerRenamedOnItsAddressWaitsForItsRoutesWhileTheOldOneServesThenTakesOverItsSocket() throws Exception {
        int port = running(true);
        // Listener out configured on the port it got: a listener renamed onto an address takes
        // over the socket of the one there only when that address names its port.
        controlPlane.respond(XdsType.LISTENER, "l1b", List.of(httpListener("out", port, "r")));
        ack(XdsType.LISTENER, "l1b");
        assertThat(proxy.server().ports()).isEqualTo(Map.of("out", port));
        AtomicBoolean done = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Thread client = new Thread(() -> {
            while (!done.get()) {
                try {
                    servedBy(port); // a new connection each time
                    Thread.sleep(2);
                } catch (IOException e) {
                    failures.add(e);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "new-connections");
        client.start();
        try {
            controlPlane.respond(XdsType.LISTENER, "l2", List.of(httpListener("out-v2", port, "r2")));
            ack(XdsType.LISTENER, "l2");
            assertThat(controlPlane.next(XdsType.ROUTE).getResourceNamesList()).containsExactly("r2");
            assertThat(proxy.server().ports()).as("out serves on while out-v2 waits for r2").isEqualTo(Map.of("out", port));
            for (int i = 0; i < 5; i++) {
                assertThat(servedBy(port)).as("with its old routes").isEqualTo("a");
            }

            controlPlane.respond(XdsType.ROUTE, "r2", List.of(routes("r2", "b")));
            ack(XdsType.ROUTE, "r2");
            assertThat(proxy.server().ports()).as("out-v2 took over the socket").isEqualTo(Map.of("out-v2", port));
            assertThat(servedBy(port)).isEqualTo("b");
            assertThat(servedBy(port)).isEqualTo("b");
        } finally {
            done.set(true);
            client.join();
        }
        assertThat(failures).as("no connection refused or dropped in between").isEmpty();
    }

    @Test
    void anUpdateThatCannotBeAppliedIsNackedWithTheReasonAndNothingChanges() throws Exception {
        int port = running(false);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String nonce = controlPlane.respond(XdsType.LISTENER, "l2",
                    List.of(httpListener("out", 0, "r"), httpListener("blocked", taken.getLocalPort(), "r")));
            DiscoveryRequest nack = controlPlane.next(XdsType.LISTENER);
            assertThat(nack.getVersionInfo()).isEqualTo("l1");
            assertThat(nack.getResponseNonce()).isEqualTo(nonce);
            assertThat(nack.getErrorDetail().getMessage())
                    .contains("listener blocked: cannot bind 127.0.0.1:" + taken.getLocalPort());
        }
        assertThat(proxy.server().ports()).containsOnlyKeys("out");
        assertThat(proxy.accepted().version(XdsType.LISTENER)).hasValue("l1");
        assertThat(servedBy(port)).isEqualTo("a");

        controlPlane.respond(XdsType.LISTENER, "l3", List.of(httpListener("out", 0, "r"), httpListener("free", 0, "r")));
        ack(XdsType.LISTENER, "l3");
        assertThat(servedBy(ConnectedProxyTest.port(proxy, "free"))).isEqualTo("a");
    }
}
