package dev.trellis.model;

import java.util.List;
import java.util.Objects;

/**
 * Routing rules for requests addressed to some hosts: Istio's VirtualService.
 *
 * @param hosts the fully qualified hosts these rules apply to
 * @param http ordered HTTP routes; the first that matches wins
 */
public record VirtualService(Meta meta, List<String> hosts, List<HttpRoute> http) {
    public VirtualService {
        Objects.requireNonNull(meta, "meta");
        hosts = List.copyOf(hosts);
        http = List.copyOf(http);
    }
}
