package dev.trellis.config.istio;

import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Node;
import dev.trellis.model.RoutePolicy;
import java.time.Duration;

/** Reads how an HTTP route carries its requests: {@code timeout}, {@code retries}, {@code fault} and mirrors. */
final class RoutePolicyReader {
    private RoutePolicyReader() {}

    /** @param http the route whose fields are read */
    static RoutePolicy read(Node http, String namespace) {
        // 0s states Istio's default, no timeout; anything else is 1ms or more, as Istio validates it.
        Duration timeout = Durations.atLeast(http.get("timeout"), Duration.ofMillis(1), true).orElse(Duration.ZERO);
        return new RoutePolicy(timeout, RetriesReader.read(http.get("retries")), FaultReader.read(http.get("fault")),
                MirrorReader.read(http, namespace));
    }
}
