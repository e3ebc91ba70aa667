package dev.trellis.proxy.config;

import dev.trellis.model.LoadBalancer;
import dev.trellis.model.Protocol;
import dev.trellis.proxy.balance.Balancer;
import dev.trellis.proxy.balance.Endpoint;
import java.util.List;
import java.util.Objects;

/**
 * A set of interchangeable endpoints and how to reach them: the unit a route sends traffic to.
 * Named as Istio names clusters: {@code outbound|80|v1|catalog.default.svc.cluster.local}.
 */
public final class Cluster {
    private final Spec spec;
    private final List<Endpoint> endpoints;
    private final Balancer balancer;

    /** What defines a cluster; two clusters with equal specs are interchangeable. */
    public record Spec(String name, String service, Protocol protocol, List<EndpointSpec> endpoints, LoadBalancer loadBalancer) {
        public Spec {
            Objects.requireNonNull(name, "name");
            endpoints = List.copyOf(endpoints);
        }
    }

    /** One endpoint of a cluster spec. */
    public record EndpointSpec(String host, int port, java.util.Map<String, String> labels) {}

    public Cluster(Spec spec) {
        this.spec = spec;
        this.endpoints = spec.endpoints().stream().map(e -> new Endpoint(e.host(), e.port(), e.labels())).toList();
        this.balancer = Balancer.create(spec.loadBalancer(), endpoints);
    }

    public String name() {
        return spec.name();
    }

    /** The fully qualified host of the service behind this cluster. */
    public String service() {
        return spec.service();
    }

    public Protocol protocol() {
        return spec.protocol();
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
