package dev.trellis.proxy.xds;

import static dev.trellis.proxy.xds.WarmingTest.byName;
import static dev.trellis.proxy.xds.XdsTestResources.edsCluster;
import static dev.trellis.proxy.xds.XdsTestResources.endpoints;
import static dev.trellis.proxy.xds.XdsTestResources.httpListener;
import static dev.trellis.proxy.xds.XdsTestResources.routes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.xds.XdsType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Accepting responses: whole sets for clusters and listeners, by name for what they name. */
class XdsStateTest {
    @Test
    void clustersAndListenersAreReplacedWholeAndSubscriptionsFollowThem() {
        XdsState state = XdsState.EMPTY
                .accept(XdsType.CLUSTER, "c1", byName(XdsType.CLUSTER, List.of(edsCluster("a"), edsCluster("b"))))
                .accept(XdsType.LISTENER, "l1", byName(XdsType.LISTENER, List.of(httpListener("in", 0, "r1"), httpListener("out", 0, "r2"))));
        assertThat(state.subscription(XdsType.CLUSTER)).isEmpty();
        assertThat(state.subscription(XdsType.ENDPOINT)).containsExactly("a", "b");
        assertThat(state.subscription(XdsType.ROUTE)).containsExactly("r1", "r2");

        state = state.accept(XdsType.CLUSTER, "c2", byName(XdsType.CLUSTER, List.of(edsCluster("b"))));
        assertThat(state.resources().clusters()).containsOnlyKeys("b");
        assertThat(state.subscription(XdsType.ENDPOINT)).containsExactly("b");
        assertThat(state.versions()).containsEntry(XdsType.CLUSTER, "c2").containsEntry(XdsType.LISTENER, "l1");
    }

    @Test
    void endpointsAndRoutesAreUpdatedByNameAndDroppedWhenNothingNamesThem() {
        XdsState state = XdsState.EMPTY
                .accept(XdsType.CLUSTER, "c1", byName(XdsType.CLUSTER, List.of(edsCluster("a"), edsCluster("b"))))
                .accept(XdsType.ENDPOINT, "e1", byName(XdsType.ENDPOINT, List.of(endpoints("a", 1), endpoints("b", 2))))
                .accept(XdsType.ENDPOINT, "e2", byName(XdsType.ENDPOINT, List.of(endpoints("b", 3))));
        assertThat(state.resources().endpoints()).as("a response may carry only what changed")
                .containsEntry("a", endpoints("a", 1)).containsEntry("b", endpoints("b", 3));

        state = state.accept(XdsType.ENDPOINT, "e3", byName(XdsType.ENDPOINT, List.of(endpoints("unasked", 4))));
        assertThat(state.resources().endpoints()).as("what was not subscribed to is not kept").containsOnlyKeys("a", "b");

        state = state.accept(XdsType.CLUSTER, "c2", byName(XdsType.CLUSTER, List.of(edsCluster("a"))));
        assertThat(state.resources().endpoints()).containsOnlyKeys("a");

        state = state.accept(XdsType.LISTENER, "l1", byName(XdsType.LISTENER, List.of(httpListener("out", 0, "r"))))
                .accept(XdsType.ROUTE, "r1", byName(XdsType.ROUTE, List.of(routes("r", "a"))))
                .accept(XdsType.LISTENER, "l2", byName(XdsType.LISTENER, List.of()));
        assertThat(state.resources().routes()).isEmpty();
        assertThat(state.version(XdsType.ROUTE)).as("the version stays what was accepted last").hasValue("r1");
    }
}
