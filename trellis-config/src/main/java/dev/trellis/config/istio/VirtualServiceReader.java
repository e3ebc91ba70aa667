package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.Meta;
import dev.trellis.model.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads Istio's VirtualService into a {@link VirtualService}: hosts and ordered HTTP routes. */
public final class VirtualServiceReader {
    private static final Fields SPEC =
            Fields.of("hosts", "http").notImplemented("gateways", "tcp", "tls", "exportTo");

    private VirtualServiceReader() {}

    public static Optional<VirtualService> read(Meta meta, Node spec) {
        if (!spec.isRequiredObject(SPEC)) {
            return Optional.empty();
        }
        List<String> hosts = Names.hosts(spec.get("hosts"), meta.namespace());
        List<HttpRoute> http = new ArrayList<>();
        List<Node> routes = spec.get("http").requiredList("HTTP routes");
        for (int i = 0; i < routes.size(); i++) {
            HttpRouteReader.read(routes.get(i), meta.name() + "." + i, meta.namespace()).ifPresent(http::add);
        }
        return Optional.of(new VirtualService(meta, hosts, http));
    }
}
