package dev.trellis.proxy.xds;

import static dev.trellis.proxy.xds.XdsTestResources.edsCluster;
import static dev.trellis.proxy.xds.XdsTestResources.endpoints;
import static dev.trellis.proxy.xds.XdsTestResources.httpListener;
import static dev.trellis.proxy.xds.XdsTestResources.routes;
import static dev.trellis.proxy.xds.XdsTestResources.tcpListener;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which accepted resources run, and what stands in for those still warming. */
class WarmingTest {
    static XdsState state(XdsResources resources) {
        XdsState state = XdsState.EMPTY;
        for (XdsType type : XdsType.values()) {
            state = state.accept(type, "v", resources.of(type));
        }
        return state;
    }

    static XdsResources resources(List<? extends Message> clusters, List<? extends Message> endpoints,
            List<? extends Message> listeners, List<? extends Message> routes) {
        XdsResources out = XdsResources.EMPTY;
        out = out.with(XdsType.CLUSTER, byName(XdsType.CLUSTER, clusters));
        out = out.with(XdsType.ENDPOINT, byName(XdsType.ENDPOINT, endpoints));
        out = out.with(XdsType.LISTENER, byName(XdsType.LISTENER, listeners));
        return out.with(XdsType.ROUTE, byName(XdsType.ROUTE, routes));
    }

    static Map<String, Message> byName(XdsType type, List<? extends Message> resources) {
        Map<String, Message> map = new TreeMap<>();
        resources.forEach(r -> map.put(XdsState.name(type, r), r));
        return map;
    }

    final XdsResources running = resources(List.of(edsCluster("a")), List.of(endpoints("a", 1)),
            List.of(httpListener("out", 0, "r")), List.of(routes("r", "a")));

    @Test
    void whatIsCompleteRunsAsAccepted() {
        assertThat(Warming.candidate(state(running), XdsResources.EMPTY)).isEqualTo(running);
    }

    @Test
    void aNewClusterWithoutEndpointsAndWhatSendsToItWait() {
        XdsState accepted = state(running)
                .accept(XdsType.CLUSTER, "2", byName(XdsType.CLUSTER, List.of(edsCluster("a"), edsCluster("b"))))
                .accept(XdsType.ROUTE, "2", byName(XdsType.ROUTE, List.of(routes("r", "b"))));
        XdsResources candidate = Warming.candidate(accepted, running);
        assertThat(candidate).isEqualTo(running);

        XdsResources ready = Warming.candidate(
                accepted.accept(XdsType.ENDPOINT, "2", byName(XdsType.ENDPOINT, List.of(endpoints("a", 1), endpoints("b", 2)))),
                running);
        assertThat(ready.routes().get("r")).isEqualTo(routes("r", "b"));
        assertThat(ready.endpoints()).containsKeys("a", "b");
    }

    @Test
    void aRemovedClusterStaysWhileARunningRouteStillSendsToIt() {
        XdsState withoutA = state(running).accept(XdsType.CLUSTER, "2", byName(XdsType.CLUSTER, List.of(edsCluster("b"))))
                .accept(XdsType.ENDPOINT, "2", byName(XdsType.ENDPOINT, List.of(endpoints("b", 2))));
        XdsResources candidate = Warming.candidate(withoutA, running);
        assertThat(candidate.clusters()).as("make before break").containsKeys("a", "b");
        assertThat(candidate.endpoints().get("a")).isEqualTo(endpoints("a", 1));

        XdsResources routedAway = Warming.candidate(
                withoutA.accept(XdsType.ROUTE, "2", byName(XdsType.ROUTE, List.of(routes("r", "b")))), candidate);
        assertThat(routedAway.clusters()).as("gone once nothing sends to it").containsOnlyKeys("b");
    }

    @Test
    void aRemovedClusterStaysWhileARunningTcpListenerSendsToIt() {
        XdsResources tcp = resources(List.of(edsCluster("a")), List.of(endpoints("a", 1)), List.of(tcpListener("db", 0, "a")), List.of());
        XdsState withoutA = state(tcp).accept(XdsType.CLUSTER, "2", Map.of());
        assertThat(Warming.candidate(withoutA, tcp)).isEqualTo(tcp);
        assertThat(Warming.candidate(withoutA.accept(XdsType.LISTENER, "2", Map.of()), tcp)).isEqualTo(XdsResources.EMPTY);
    }

    @Test
    void aListenerWhoseRoutesHaveNotArrivedWaitsAndARunningOneKeepsItsOldRoutes() {
        XdsState renamed = state(running).accept(XdsType.LISTENER, "2",
                byName(XdsType.LISTENER, List.of(httpListener("out", 0, "r-new"), httpListener("new", 0, "r-other"))));
        assertThat(renamed.resources().routes()).as("no listener names r any more").isEmpty();
        assertThat(Warming.candidate(renamed, running)).isEqualTo(running);
        assertThat(Warming.candidate(renamed, XdsResources.EMPTY).listeners()).as("nothing runs yet").isEmpty();
    }

    @Test
    void aRunningListenerServesOnItsAddressUntilTheListenerThatReplacesItThereCanRun() {
        XdsResources onPort = resources(List.of(edsCluster("a")), List.of(endpoints("a", 1)),
                List.of(httpListener("out", 9090, "r")), List.of(routes("r", "a")));
        XdsState renamed = state(onPort).accept(XdsType.LISTENER, "2",
                byName(XdsType.LISTENER, List.of(httpListener("out-v2", 9090, "r2"))));
        assertThat(Warming.candidate(renamed, onPort)).as("out-v2 waits for r2; out keeps the port").isEqualTo(onPort);

        XdsState ready = renamed.accept(XdsType.ROUTE, "2", byName(XdsType.ROUTE, List.of(routes("r2", "a"))));
        assertThat(Warming.candidate(ready, onPort).listeners()).containsOnlyKeys("out-v2");

        XdsState elsewhere = state(onPort).accept(XdsType.LISTENER, "2",
                byName(XdsType.LISTENER, List.of(httpListener("out-v2", 8080, "r2"))));
        assertThat(Warming.candidate(elsewhere, onPort).listeners()).as("another address: nothing to hold").isEmpty();

        XdsState moved = state(onPort).accept(XdsType.LISTENER, "2",
                byName(XdsType.LISTENER, List.of(httpListener("out-v2", 9090, "r2"), httpListener("out", 8080, "r"))));
        assertThat(Warming.candidate(moved, onPort).listeners()).as("out's move waits while out-v2 warms on its address")
                .containsExactly(Map.entry("out", httpListener("out", 9090, "r")));
    }

    @Test
    void theValidationViewStandsInForWhatHasNotArrived() {
        XdsState accepted = state(XdsResources.EMPTY)
                .accept(XdsType.CLUSTER, "1", byName(XdsType.CLUSTER, List.of(edsCluster("a"))))
                .accept(XdsType.LISTENER, "1", byName(XdsType.LISTENER, List.of(httpListener("out", 0, "r"), tcpListener("db", 0, "gone"))));
        XdsResources view = Warming.validationView(accepted, XdsType.CLUSTER);
        assertThat(view.endpoints()).containsOnlyKeys("a");
        assertThat(view.routes()).containsOnlyKeys("r");
        assertThat(view.clusters()).containsOnlyKeys("a", "gone");
        assertThat(Warming.validationView(accepted, XdsType.LISTENER).clusters())
                .as("listeners are checked for the clusters their TCP proxies name").containsOnlyKeys("a");
    }
}
