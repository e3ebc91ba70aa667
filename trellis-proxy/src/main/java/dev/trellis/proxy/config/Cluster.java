package dev.trellis.proxy.config;

import dev.trellis.proxy.balance.Balancer;
import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.balance.LbPolicy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A set of interchangeable endpoints and how to reach them: the unit a route sends traffic to.
 * Named as Istio names clusters: {@code outbound|80|v1|catalog.default.svc.cluster.local}.
 */
public final class Cluster {
    private final Spec spec;
    private final List<Endpoint> endpoints;
    private final Balancer balancer;

    /**
     * What defines a cluster; two clusters with equal specs are interchangeable.
     *
     * @param service the fully qualified host of the service behind the cluster
     * @param http2 whether connections to the endpoints speak HTTP/2 (h2c)
     */
    public record Spec(String name, String service, boolean http2, List<EndpointSpec> endpoints, LbPolicy lbPolicy) {
        public Spec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(service, "service");
            endpoints = List.copyOf(endpoints);
            Objects.requireNonNull(lbPolicy, "lbPolicy");
        }
    }

    /** One endpoint of a cluster spec: a host name is resolved at each connect. */
    public record EndpointSpec(String host, int port, Map<String, String> labels) {
        public EndpointSpec {
            labels = Map.copyOf(labels);
        }
    }

    /**
     * @param previous the cluster this one replaces, or null: endpoints it shares with it are
     *     carried over, so their in-flight counts stay true while requests sent before the change finish
     */
    public Cluster(Spec spec, Cluster previous) {
        this.spec = spec;
        Map<EndpointSpec, Endpoint> running = new HashMap<>();
        if (previous != null) {
            for (Endpoint endpoint : previous.endpoints) {
                running.put(new EndpointSpec(endpoint.host(), endpoint.port(), endpoint.labels()), endpoint);
            }
        }
        this.endpoints = spec.endpoints().stream()
                .map(e -> running.getOrDefault(e, new Endpoint(e.host(), e.port(), e.labels())))
                .toList();
        this.balancer = Balancer.create(spec.lbPolicy(), endpoints);
    }

    public String name() {
        return spec.name();
    }

    /** The fully qualified host of the service behind this cluster. */
    public String service() {
        return spec.service();
    }

    public boolean http2() {
        return spec.http2();
    }

    public Spec spec() {
        return spec;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public Balancer balancer() {
        return balancer;
    }

    @Override
    public String toString() {
        return spec.name();
    }
}
