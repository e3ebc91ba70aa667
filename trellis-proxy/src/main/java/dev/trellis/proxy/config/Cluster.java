package dev.trellis.proxy.config;

import dev.trellis.proxy.balance.Balancer;
import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.balance.LbPolicy;
import dev.trellis.proxy.balance.LbSettings;
import dev.trellis.proxy.balance.Locality;
import dev.trellis.proxy.balance.LocalityTiers;
import dev.trellis.proxy.balance.TieredBalancer;
import dev.trellis.proxy.resilience.CircuitBreaker;
import dev.trellis.proxy.resilience.EjectionReason;
import dev.trellis.proxy.resilience.OutlierDetector;
import dev.trellis.proxy.resilience.OutlierListener;
import dev.trellis.proxy.resilience.OutlierPolicy;
import dev.trellis.proxy.resilience.RetryBudget;
import dev.trellis.proxy.telemetry.ClusterStats;
import dev.trellis.proxy.telemetry.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A set of interchangeable endpoints and how to reach them: the unit a route sends traffic to.
 * Named as Istio names clusters: {@code outbound|80|v1|catalog.default.svc.cluster.local}. Also the
 * cluster state every event loop shares, lock-free: the balancer over its locality tiers, the
 * circuit breaker, the retry budget and the outlier detector.
 */
public final class Cluster {
    private final Spec spec;
    private final List<Endpoint> endpoints;
    private final TieredBalancer balancer;
    /** The tier of each endpoint past the first (absent: tier 0), for counting failovers per try. */
    private final Map<Endpoint, Integer> laterTiers = new HashMap<>();
    private final CircuitBreaker breaker;
    private final RetryBudget retryBudget;
    private final OutlierDetector outlier;
    private final ClusterStats stats;
    private volatile long lastTickNanos = System.nanoTime();

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
     *     carried over, so their in-flight counts stay true while requests sent before the change
     *     finish, and so are its breaker, budget and outlier state while their policies are the same
     * @param stats the cluster's counters, kept by name across updates
     */
    public Cluster(Spec spec, Cluster previous, ClusterStats stats) {
        this.spec = spec;
        this.stats = stats;
        Map<EndpointSpec, Endpoint> running = new HashMap<>();
        if (previous != null) {
            for (int i = 0; i < previous.endpoints.size(); i++) {
                running.put(previous.spec.endpoints().get(i), previous.endpoints.get(i));
            }
        }
        this.endpoints = spec.endpoints().stream()
                .map(e -> running.containsKey(e) ? running.get(e) : new Endpoint(e.host(), e.port(), e.labels(), e.locality()))
                .toList();
        this.balancer = TieredBalancer.create(spec.lbPolicy(), tiers(spec.endpoints(), endpoints), spec.lbSettings());
        List<LocalityTiers.Tier> tiers = balancer.tiers().tiers();
        for (int i = 1; i < tiers.size(); i++) {
            for (LocalityTiers.Group group : tiers.get(i).groups()) {
                for (Endpoint endpoint : group.endpoints()) {
                    laterTiers.putIfAbsent(endpoint, i);
                }
            }
        }
        UpstreamPolicy upstream = spec.upstream();
        UpstreamPolicy before = previous == null ? null : previous.spec.upstream();
        boolean sameBreakers = before != null && before.breakers().equals(upstream.breakers());
        this.breaker = sameBreakers ? previous.breaker : new CircuitBreaker(upstream.breakers());
        boolean sameBudget = before != null && Objects.equals(before.retryBudget(), upstream.retryBudget());
        this.retryBudget = upstream.retryBudget() == null ? null
                : sameBudget ? previous.retryBudget : RetryBudget.of(upstream.retryBudget());
        OutlierPolicy outlierPolicy = upstream.outlier();
        if (outlierPolicy == null) {
            this.outlier = null;
        } else if (before != null && outlierPolicy.equals(before.outlier())) {
            this.outlier = previous.outlier;
            outlier.retain(endpoints);
        } else {
            this.outlier = new OutlierDetector(outlierPolicy, endpoints);
        }
        if (outlier != null) {
            outlier.listener(new Ejections()); // the detector now serves this cluster's balancer
            Set<Endpoint> ejected = outlier.ejectedEndpoints();
            if (!ejected.isEmpty()) {
                balancer.updateHealth(e -> !ejected.contains(e));
            }
            stats.ejectedNow(() -> outlier.ejectedEndpoints().size());
        } else {
            stats.ejectedNow(() -> 0);
        }
    }

    /** A cluster of its own, with counters no one else reads: for tests. */
    public Cluster(Spec spec, Cluster previous) {
        this(spec, previous, new Metrics().clusterStats(spec.name()));
    }

    /**
     * The endpoints by tier (EDS priority), and within one by locality when the control plane
     * weighted localities; else a tier is one group, balanced as a whole, as Envoy does without
     * locality-weighted balancing.
     */
    private static LocalityTiers tiers(List<EndpointSpec> specs, List<Endpoint> endpoints) {
        TreeMap<Integer, Map<Locality, List<Endpoint>>> byPriority = new TreeMap<>();
        TreeMap<Integer, Map<Locality, Integer>> weights = new TreeMap<>();
        for (int i = 0; i < specs.size(); i++) {
            EndpointSpec spec = specs.get(i);
            byPriority.computeIfAbsent(spec.priority(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(spec.locality(), k -> new ArrayList<>()).add(endpoints.get(i));
            weights.computeIfAbsent(spec.priority(), k -> new LinkedHashMap<>()).merge(spec.locality(), spec.localityWeight(), Math::max);
        }
        List<LocalityTiers.Tier> tiers = new ArrayList<>();
        for (Map.Entry<Integer, Map<Locality, List<Endpoint>>> tier : byPriority.entrySet()) {
            Map<Locality, Integer> weight = weights.get(tier.getKey());
            boolean weighted = weight.values().stream().anyMatch(w -> w > 0);
            List<LocalityTiers.Group> groups = new ArrayList<>();
            if (weighted) {
                tier.getValue().forEach((locality, members) -> {
                    if (weight.get(locality) > 0) { // Envoy leaves a locality of weight 0 out
                        groups.add(new LocalityTiers.Group(locality, weight.get(locality), members));
                    }
                });
            } else {
                List<Endpoint> members = tier.getValue().values().stream().flatMap(List::stream).toList();
                groups.add(new LocalityTiers.Group(Locality.NONE, members.size(), members));
            }
            if (!groups.isEmpty()) {
                tiers.add(new LocalityTiers.Tier(groups));
            }
        }
        return new LocalityTiers(tiers);
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

    public TieredBalancer balancer() {
        return balancer;
    }

    public UpstreamPolicy upstream() {
        return spec.upstream();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** The retry budget, or null: then the breaker's {@code maxRetries} bounds retries. */
    public RetryBudget retryBudget() {
        return retryBudget;
    }

    /** The outlier detector, or null when the cluster has no outlier detection. */
    public OutlierDetector outlier() {
        return outlier;
    }

    public ClusterStats stats() {
        return stats;
    }

    /** The tier {@code endpoint} is in, 0 being the caller's first choice; for counting failovers. */
    public int tierOf(Endpoint endpoint) {
        return laterTiers.getOrDefault(endpoint, 0);
    }

    /**
     * Runs the outlier detector's interval sweep, which returns ejected endpoints whose time is up,
     * if an interval has passed since the last; to call more often than any interval.
     */
    public void tick(long nowNanos) {
        if (outlier != null && nowNanos - lastTickNanos >= outlier.policy().interval().toNanos()) {
            lastTickNanos = nowNanos;
            outlier.tick(nowNanos);
        }
    }

    @Override
    public String toString() {
        return spec.name();
    }

    /** Keeps the balancer's healthy set equal to the detector's, and counts ejections. */
    private final class Ejections implements OutlierListener {
        @Override
        public void onEjected(Endpoint endpoint, EjectionReason reason, Duration ejectionTime) {
            stats.ejected();
            refresh();
        }

        @Override
        public void onUnejected(Endpoint endpoint) {
            refresh();
        }

        private void refresh() {
            Set<Endpoint> ejected = outlier.ejectedEndpoints();
            balancer.updateHealth(e -> !ejected.contains(e));
        }
    }
}
