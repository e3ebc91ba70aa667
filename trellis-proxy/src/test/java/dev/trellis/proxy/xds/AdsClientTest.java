package dev.trellis.proxy.xds;

import static dev.trellis.proxy.xds.XdsTestResources.edsCluster;
import static dev.trellis.proxy.xds.XdsTestResources.endpoints;
import static dev.trellis.proxy.xds.XdsTestResources.httpListener;
import static dev.trellis.proxy.xds.XdsTestResources.routes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Message;
import dev.trellis.model.ConfigException;
import dev.trellis.proxy.FakeAdsServer;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ADS protocol as the client speaks it, against a server driven by hand. */
class AdsClientTest {
    static final Node NODE = Node.newBuilder().setId("client.default~test").setCluster("client.default.svc.cluster.local").build();

    final FakeAdsServer server = new FakeAdsServer();
    final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    final TestHandler handler = new TestHandler();
    AdsStatus status;
    AdsClient client;

    /** Accepts every response into an {@link XdsState}, except those it is told to refuse. */
    static final class TestHandler implements AdsClient.Handler {
        volatile XdsState state = XdsState.EMPTY;
        volatile String refuseCluster;
        final List<String> updates = new ArrayList<>();

        @Override
        public XdsState accepted() {
            return state;
        }

        @Override
        public void update(XdsType type, String version, Map<String, Message> resources) throws ConfigException {
            synchronized (updates) {
                updates.add(type.shortName() + " " + version);
            }
            if (type == XdsType.CLUSTER && refuseCluster != null && resources.containsKey(refuseCluster)) {
                throw new ConfigException(List.of(
                        "Cluster " + refuseCluster + ": circuit_breakers: not supported by Trellis (expected: unset)",
                        "Cluster " + refuseCluster + ": lb_policy: MAGLEV (expected: ROUND_ROBIN, LEAST_REQUEST, RANDOM or RING_HASH)"));
            }
            state = state.accept(type, version, resources);
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    void start(String... addresses) {
        ControlPlaneAddresses parsed = ControlPlaneAddresses.parse(List.of(addresses));
        status = new AdsStatus(Clock.systemUTC(), List.of(addresses), () -> handler.state, Map::of, "none");
        client = new AdsClient(parsed, NODE,
                handler, new Backoff(Duration.ofMillis(10), Duration.ofMillis(50), RandomGenerator.getDefault()), executor, status);
        client.start();
    }

    @Test
    void subscribesToClustersAndListenersAsWildcardsThenToWhatTheyName() throws Exception {
        start(server.address());
        DiscoveryRequest cds = server.next(XdsType.CLUSTER);
        DiscoveryRequest lds = server.next(XdsType.LISTENER);
        for (DiscoveryRequest first : List.of(cds, lds)) {
            assertThat(first.getResourceNamesList()).as("wildcard").isEmpty();
            assertThat(first.getVersionInfo()).isEmpty();
            assertThat(first.getResponseNonce()).isEmpty();
        }
        assertThat(server.pending(XdsType.ENDPOINT)).as("nothing to subscribe to yet").isEmpty();

        String clusters1 = server.respond(XdsType.CLUSTER, "c1", List.of(edsCluster("a"), edsCluster("b"),
                edsCluster("c").toBuilder().setEdsClusterConfig(edsCluster("c").getEdsClusterConfig().toBuilder()
                        .setServiceName("c-endpoints")).build()));
        assertAck(server.next(XdsType.CLUSTER), "c1", clusters1, List.of());
        DiscoveryRequest eds = server.next(XdsType.ENDPOINT);
        assertThat(eds.getResourceNamesList()).as("the clusters' endpoints, by service_name or cluster name")
                .containsExactly("a", "b", "c-endpoints");
        assertThat(eds.getVersionInfo()).isEmpty();
        assertThat(eds.getResponseNonce()).isEmpty();

        String listeners1 = server.respond(XdsType.LISTENER, "l1", List.of(httpListener("in", 0, "r1"), httpListener("out", 0, "r2")));
        assertAck(server.next(XdsType.LISTENER), "l1", listeners1, List.of());
        assertThat(server.next(XdsType.ROUTE).getResourceNamesList()).containsExactly("r1", "r2");

        String endpoints1 = server.respond(XdsType.ENDPOINT, "e1",
                List.of(endpoints("a", 1001), endpoints("b", 1002), endpoints("c-endpoints", 1003)));
        assertAck(server.next(XdsType.ENDPOINT), "e1", endpoints1, List.of("a", "b", "c-endpoints"));

        String clusters2 = server.respond(XdsType.CLUSTER, "c2", List.of(edsCluster("a"), edsCluster("d")));
        assertAck(server.next(XdsType.CLUSTER), "c2", clusters2, List.of());
        assertAck(server.next(XdsType.ENDPOINT), "e1", endpoints1, List.of("a", "d"));
        assertThat(handler.state.resources().endpoints()).as("endpoints no cluster names any more are dropped")
                .containsOnlyKeys("a");

        String listeners2 = server.respond(XdsType.LISTENER, "l2", List.of(httpListener("in", 0, "r1")));
        assertAck(server.next(XdsType.LISTENER), "l2", listeners2, List.of());
        DiscoveryRequest rds = server.next(XdsType.ROUTE);
        assertThat(rds.getResourceNamesList()).containsExactly("r1");
        assertThat(rds.getResponseNonce()).as("no RDS response yet").isEmpty();

        assertThat(server.all()).allSatisfy(request -> assertThat(request.getNode()).isEqualTo(NODE));
    }

    @Test
    void acksWithTheResponsesVersionAndNonceAndNacksWithThePreviousVersionAndEveryReason() throws Exception {
        handler.refuseCluster = "bad";
        start(server.address());
        server.next(XdsType.CLUSTER);
        String good = server.respond(XdsType.CLUSTER, "v1", List.of(edsCluster("a")));
        assertAck(server.next(XdsType.CLUSTER), "v1", good, List.of());

        String bad = server.respond(XdsType.CLUSTER, "v2", List.of(edsCluster("a"), edsCluster("bad")));
        DiscoveryRequest nack = server.next(XdsType.CLUSTER);
        assertThat(nack.getVersionInfo()).as("the version still accepted").isEqualTo("v1");
        assertThat(nack.getResponseNonce()).isEqualTo(bad);
        assertThat(nack.getErrorDetail().getCode()).as("INVALID_ARGUMENT").isEqualTo(3);
        assertThat(nack.getErrorDetail().getMessage())
                .contains("Cluster bad: circuit_breakers: not supported by Trellis (expected: unset)")
                .contains("Cluster bad: lb_policy: MAGLEV");
        assertThat(handler.state.version(XdsType.CLUSTER)).hasValue("v1");
        assertThat(handler.state.resources().clusters()).containsOnlyKeys("a");
        assertThat(status.lastRefusal(XdsType.CLUSTER)).contains("Cluster bad: circuit_breakers");

        String fixed = server.respond(XdsType.CLUSTER, "v3", List.of(edsCluster("a"), edsCluster("b")));
        assertAck(server.next(XdsType.CLUSTER), "v3", fixed, List.of());
        assertThat(server.next(XdsType.ENDPOINT).getResourceNamesList()).containsExactly("a");
        assertThat(server.next(XdsType.ENDPOINT).getResourceNamesList()).as("a refused response changed no subscription")
                .containsExactly("a", "b");
        assertThat(server.all().stream().filter(DiscoveryRequest::hasErrorDetail)).as("one NACK, never sent again").hasSize(1);
        assertThat(status.lastRefusal(XdsType.CLUSTER)).as("cleared once a newer version is accepted").isNull();
    }

    @Test
    void theSameResponseRefusedAgainIsNackedAgainAfterABackoff() throws Exception {
        handler.refuseCluster = "bad";
        start(server.address());
        server.next(XdsType.CLUSTER);
        String first = server.respond(XdsType.CLUSTER, "v1", List.of(edsCluster("a")));
        assertAck(server.next(XdsType.CLUSTER), "v1", first, List.of());

        List<Cluster> bad = List.of(edsCluster("a"), edsCluster("bad"));
        server.respond(XdsType.CLUSTER, "v2", bad);
        assertThat(server.next(XdsType.CLUSTER).hasErrorDetail()).isTrue();
        // What java-control-plane's plain SimpleCache does on a NACK: the same response again, at once.
        String again = server.respond(XdsType.CLUSTER, "v2", bad);
        assertThat(server.poll(XdsType.CLUSTER, Duration.ofMillis(AdsClient.REPEAT_NACK_FIRST_MILLIS / 2)))
                .as("not NACKed again at once, which would loop with such a server").isNull();
        DiscoveryRequest nack = server.next(XdsType.CLUSTER);
        assertThat(nack.hasErrorDetail()).as("still a NACK: the proxy never claims a version it does not run").isTrue();
        assertThat(nack.getVersionInfo()).isEqualTo("v1");
        assertThat(nack.getResponseNonce()).isEqualTo(again);
        assertThat(handler.state.version(XdsType.CLUSTER)).as("still not applied").hasValue("v1");
        assertThat(handler.updates).as("checked again, in case it would pass now").containsSubsequence("CDS v2", "CDS v2");

        String otherBad = server.respond(XdsType.CLUSTER, "v3", bad);
        DiscoveryRequest next = server.next(XdsType.CLUSTER);
        assertThat(next.hasErrorDetail()).as("a new version is NACKed at once").isTrue();
        assertThat(next.getVersionInfo()).isEqualTo("v1");
        assertThat(next.getResponseNonce()).isEqualTo(otherBad);
    }

    @Test
    void reconnectsAfterTheStreamBreaksAndSubscribesAgainWithTheAcceptedVersions() throws Exception {
        start(server.address());
        server.next(XdsType.CLUSTER);
        server.next(XdsType.LISTENER);
        server.respond(XdsType.CLUSTER, "c1", List.of(edsCluster("a")));
        server.next(XdsType.CLUSTER);
        server.next(XdsType.ENDPOINT);
        server.respond(XdsType.ENDPOINT, "e1", List.of(endpoints("a", 1001)));
        server.next(XdsType.ENDPOINT);
        server.respond(XdsType.LISTENER, "l1", List.of(httpListener("out", 0, "r1")));
        server.next(XdsType.LISTENER);
        server.next(XdsType.ROUTE);
        server.respond(XdsType.ROUTE, "r1", List.of(routes("r1", "a")));
        server.next(XdsType.ROUTE);
        await().atMost(Duration.ofSeconds(10)).until(() -> status.state() == AdsStatus.State.CONNECTED);

        server.breakStream();
        DiscoveryRequest cds = server.next(XdsType.CLUSTER);
        DiscoveryRequest lds = server.next(XdsType.LISTENER);
        DiscoveryRequest eds = server.next(XdsType.ENDPOINT);
        DiscoveryRequest rds = server.next(XdsType.ROUTE);
        assertThat(server.streamCount()).isEqualTo(2);
        assertThat(List.of(cds, lds, eds, rds)).extracting(DiscoveryRequest::getVersionInfo).containsExactly("c1", "l1", "e1", "r1");
        assertThat(List.of(cds, lds, eds, rds)).extracting(DiscoveryRequest::getResponseNonce).as("a new stream, no nonces yet")
                .containsOnly("");
        assertThat(eds.getResourceNamesList()).containsExactly("a");
        assertThat(rds.getResourceNamesList()).containsExactly("r1");
    }

    @Test
    void triesTheNextControlPlaneWhenOneCannotBeReached() throws Exception {
        // A port held by a socket that does not listen: connecting to it is refused, and no one else can take it.
        try (Socket holder = new Socket()) {
            holder.bind(new InetSocketAddress("127.0.0.1", 0));
            String nothing = "127.0.0.1:" + holder.getLocalPort();
            start(nothing, server.address());
            assertNextControlPlaneUsed(nothing);
        }
    }

    private void assertNextControlPlaneUsed(String nothing) throws InterruptedException {
        assertThat(server.next(XdsType.CLUSTER).getNode()).isEqualTo(NODE);
        await().atMost(Duration.ofSeconds(10)).until(() -> status.state() == AdsStatus.State.CONNECTED);
        assertThat(status.toMap()).containsEntry("controlPlane", server.address())
                .containsEntry("controlPlanes", List.of(nothing, server.address()));
        @SuppressWarnings("unchecked")
        Map<String, Object> lastError = (Map<String, Object>) status.toMap().get("lastError");
        assertThat(lastError.get("reason")).asString().startsWith("UNAVAILABLE");
    }

    private static void assertAck(DiscoveryRequest request, String version, String nonce, List<String> names) {
        assertThat(request.hasErrorDetail()).as("an ACK").isFalse();
        assertThat(request.getVersionInfo()).isEqualTo(version);
        assertThat(request.getResponseNonce()).isEqualTo(nonce);
        assertThat(request.getResourceNamesList()).isEqualTo(names);
        assertThat(request.getNode()).isEqualTo(NODE);
    }
}
