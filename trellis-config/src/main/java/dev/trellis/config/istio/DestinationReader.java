package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.WeightedDestination;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Reads the weighted destinations ({@code route}) of an HTTP route, and checks their weights. */
final class DestinationReader {
    private static final Fields ROUTE = Fields.of("destination", "weight", "headers");
    private static final Fields DESTINATION = Fields.of("host", "subset", "port");
    private static final Fields PORT = Fields.of("number");

    private DestinationReader() {}

    /**
     * A single destination may leave out its weight (it takes all traffic); with several, a
     * missing weight counts as 0 and the weights must add up to 100.
     */
    static List<WeightedDestination> readAll(Node route, String namespace) {
        List<Node> items = route.requiredList("destinations");
        List<WeightedDestination> destinations = new ArrayList<>();
        int sum = 0;
        boolean weightsValid = true;
        for (Node item : items) {
            if (!item.isRequiredObject(ROUTE)) {
                weightsValid = false;
                continue;
            }
            RouteDestination destination = destination(item.get("destination"), namespace);
            Node weightNode = item.get("weight");
            OptionalInt weight = weightNode.integer(0, 100);
            weightsValid &= weight.isPresent() || !weightNode.isPresent();
            int share = weight.orElse(items.size() == 1 && !weightNode.isPresent() ? 100 : 0);
            sum += share;
            HeadersReader.Headers headers = HeadersReader.read(item.get("headers"));
            destinations.add(new WeightedDestination(destination, share, headers.request(), headers.response()));
        }
        if (weightsValid && !items.isEmpty() && sum != 100) {
            route.report("weights add up to " + sum + " (expected: 100)");
        }
        return destinations;
    }

    /** One destination: host (qualified in {@code namespace}), subset and port; reported when absent. */
    static RouteDestination destination(Node destination, String namespace) {
        if (!destination.isRequiredObject(DESTINATION)) {
            return new RouteDestination("", Optional.empty(), OptionalInt.empty());
        }
        Optional<String> host = Names.host(destination.get("host"), namespace);
        Node subsetNode = destination.get("subset");
        Optional<String> subset = subsetNode.isPresent() ? Names.label(subsetNode) : Optional.empty();
        Node port = destination.get("port");
        OptionalInt number = port.isObject(PORT) ? port.get("number").requiredInteger(1, 65535) : OptionalInt.empty();
        return new RouteDestination(host.orElse(""), subset, number);
    }
}
