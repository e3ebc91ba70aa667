package dev.trellis.proxy.config;

import dev.trellis.proxy.balance.Balancer;
import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.balance.LbPolicy;
import dev.trellis.proxy.balance.LbSettings;
import dev.trellis.proxy.balance.Locality;
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
     * @param lbSettings warm-up, latency estimate and tier health arithmetic of the balancing
     * @param upstream circuit breaking, retry budget, outlier detection and connection settings
     */
    public record Spec(String name, String service, boolean http2, List<EndpointSpec> endpoints, LbPolicy lbPolicy,
            LbSettings lbSettings, UpstreamPolicy upstream) {
        public Spec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(service, "service");
            endpoints = List.copyOf(endpoints);
            Objects.requireNonNull(lbPolicy, "lbPolicy");
            Objects.requireNonNull(lbSettings, "lbSettings");
            Objects.requireNonNull(upstream, "upstream");
        }

        /** A spec with default balancing settings and Istio's default upstream policy. */
        public Spec(String name, String service, boolean http2, List<EndpointSpec> endpoints, LbPolicy lbPolicy) {
            this(name, service, http2, endpoints, lbPolicy, LbSettings.DEFAULTS, UpstreamPolicy.DEFAULT);
        }
    }

    /**
     * One endpoint of a cluster spec: a host name is resolved at each connect.
     *
     * @param locality where the endpoint runs
     * @param priority its tier, as the control plane ranked its locality for this proxy (EDS {@code
     *     priority}): 0 takes traffic first, higher tiers as lower ones lose health
     * @param localityWeight its locality's share within its tier (EDS {@code load_balancing_weight}); 0 if unweighted
     */
    public record EndpointSpec(String host, int port, Map<String, String> labels, Locality locality, int priority,
            int localityWeight) {
        public EndpointSpec {
            labels = Map.copyOf(labels);
            Objects.requireNonNull(locality, "locality");
            if (priority < 0) {
                throw new IllegalArgumentException("priority: " + priority + " (expected: >= 0)");
            }
            if (localityWeight < 0) {
                throw new IllegalArgumentException("localityWeight: " + localityWeight + " (expected: >= 0)");
            }
        }

        /** An endpoint with no locality, in tier 0. */
        public EndpointSpec(String host, int port, Map<String, String> labels) {
            this(host, port, labels, Locality.NONE, 0, 0);
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
