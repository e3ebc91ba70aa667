package dev.trellis.proxy.resilience;

import dev.trellis.proxy.balance.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive health checking for one cluster, with Envoy's consecutive-error detectors: ejects an
 * endpoint from balancing the moment it reaches an {@link OutlierPolicy} threshold of failures in
 * a row, within the cluster's {@code maxEjectionPercent}, and returns it at the first {@link
 * #tick(long)} after its ejection time (the base time times a multiplier that grows with each
 * ejection and decays while the endpoint stays healthy, capped at {@code maxEjectionTime}).
 *
 * <p>The owner reports each attempt's outcome ({@link #onResponse}, {@link #onLocalOriginFailure},
 * {@link #onConnected}), calls {@link #tick(long)} every {@code interval}, and passes each new
 * endpoint set to {@link #retain(Collection)}. Balancers skip {@link #ejectedEndpoints()}, which is
 * empty while the cluster is below {@code minHealthPercent} (Envoy's panic mode: every endpoint
 * takes traffic).
 *
 * <p>Lock-free. Reporting a result touches only atomic counters, except when a threshold is
 * reached; ejections, returns and membership changes replace an immutable state with a
 * compare-and-set, so the ejection limit holds however many event loops eject at once, and readers
 * get a consistent set without copying.
 */
public final class OutlierDetector {
    private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

    private final OutlierPolicy policy;
    private volatile OutlierListener listener;
    private final long intervalNanos;
    private final long baseNanos;
    private final long maxNanos;
    private final AtomicReference<State> state;
    private final EnumMap<EjectionReason, LongAdder> detected = new EnumMap<>(EjectionReason.class);
    private final EnumMap<EjectionReason, LongAdder> enforced = new EnumMap<>(EjectionReason.class);
    private final LongAdder overflows = new LongAdder();

    /** Counters of Envoy's {@code outlier_detection.*} statistics for the cluster. */
    public record Stats(
            long ejectionsActive,
            long ejectionsEnforcedTotal,
            long ejectionsOverflow,
            Map<EjectionReason, Long> ejectionsDetected,
            Map<EjectionReason, Long> ejectionsEnforced) {
        public Stats {
            ejectionsDetected = Collections.unmodifiableMap(new EnumMap<>(ejectionsDetected));
            ejectionsEnforced = Collections.unmodifiableMap(new EnumMap<>(ejectionsEnforced));
        }
    }

    /**
     * One endpoint as the detector sees it, for the admin pages.
     *
     * @param ejected whether it is ejected, even if {@code minHealthPercent} makes balancers ignore that
     * @param ejectionReason why it was ejected last, if it ever was
     * @param timesEjected its ejections so far (Envoy's {@code num_ejections})
     * @param ejectionMultiplier Envoy's ejection-time backoff: its current or last ejection lasted
     *     this many base ejection times (before the cap); one more with each ejection, one fewer
     *     for each interval it stays in after returning
     * @param ejectionTime the length of its current or last ejection; zero if never ejected
     * @param ejectionTimeLeft until it may return, at the next tick; zero if not ejected
     */
    public record HostStatus(
            boolean ejected,
            Optional<EjectionReason> ejectionReason,
            int timesEjected,
            int ejectionMultiplier,
            Duration ejectionTime,
            Duration ejectionTimeLeft,
            int consecutive5xx,
            int consecutiveGatewayErrors,
            int consecutiveLocalOriginFailures) {}

    /** One endpoint's failures in a row, written by every event loop. */
    private static final class Counters {
        final AtomicInteger fiveXx = new AtomicInteger();
        final AtomicInteger gateway = new AtomicInteger();
        final AtomicInteger localOrigin = new AtomicInteger();

        AtomicInteger of(EjectionReason reason) {
            return switch (reason) {
                case CONSECUTIVE_5XX -> fiveXx;
                case CONSECUTIVE_GATEWAY_FAILURE -> gateway;
                case CONSECUTIVE_LOCAL_ORIGIN_FAILURE -> localOrigin;
            };
        }

        void resetAll() {
            fiveXx.set(0);
            gateway.set(0);
            localOrigin.set(0);
        }
    }

    /** One endpoint's ejection state, replaced whole on each change; its counters stay the same object. */
    private record Host(
            Counters counters,
            boolean ejected,
            EjectionReason reason,
            int timesEjected,
            int multiplier,
            long ejectedAtNanos,
            long ejectionNanos,
            boolean unejectedOnce,
            long unejectedAtNanos) {
        static Host fresh() {
            return new Host(new Counters(), false, null, 0, 0, 0, 0, false, 0);
        }

        Host eject(EjectionReason why, int newMultiplier, long nowNanos, long nanos) {
            return new Host(counters, true, why, timesEjected + 1, newMultiplier, nowNanos, nanos, unejectedOnce, unejectedAtNanos);
        }

        Host uneject(long nowNanos) {
            return new Host(counters, false, reason, timesEjected, multiplier, ejectedAtNanos, ejectionNanos, true, nowNanos);
        }

        Host decay() {
            return new Host(counters, false, reason, timesEjected, multiplier - 1, ejectedAtNanos, ejectionNanos, unejectedOnce, unejectedAtNanos);
        }
    }

    /** Everything a change replaces at once; never mutated after it is published. */
    private static final class State {
        final Map<Endpoint, Host> hosts;
        final Set<Endpoint> ejected;
        final boolean belowMinHealth;
        final Set<Endpoint> visible;

        State(Map<Endpoint, Host> hosts, Set<Endpoint> ejected, int minHealthPercent) {
            this.hosts = hosts;
            this.ejected = ejected;
            long all = hosts.size();
            this.belowMinHealth = all > 0 && (all - ejected.size()) * 100 < minHealthPercent * all;
            this.visible = belowMinHealth ? Set.of() : Collections.unmodifiableSet(ejected);
        }
    }

    public OutlierDetector(OutlierPolicy policy, Collection<Endpoint> endpoints) {
        this(policy, endpoints, OutlierListener.NONE);
    }

    public OutlierDetector(OutlierPolicy policy, Collection<Endpoint> endpoints, OutlierListener listener) {
        this.policy = policy;
        this.listener = listener;
        this.intervalNanos = policy.interval().toNanos();
        this.baseNanos = policy.baseEjectionTime().toNanos();
        this.maxNanos = policy.maxEjectionTime().toNanos();
        Map<Endpoint, Host> hosts = new HashMap<>();
        for (Endpoint endpoint : endpoints) {
            hosts.put(endpoint, Host.fresh());
        }
        this.state = new AtomicReference<>(new State(hosts, new HashSet<>(), policy.minHealthPercent()));
        for (EjectionReason reason : EjectionReason.values()) {
            detected.put(reason, new LongAdder());
            enforced.put(reason, new LongAdder());
        }
    }

    public OutlierPolicy policy() {
        return policy;
    }

    /** Who is told of ejections from now on: the cluster that took this detector over, after an update. */
    public void listener(OutlierListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Reports an attempt's final response status (a gRPC status mapped to HTTP, as Envoy does). A
     * 5xx counts towards {@code consecutive5xxErrors}, a 502, 503 or 504 towards {@code
     * consecutiveGatewayErrors} too; any other status ends both runs, and since the connection
     * worked, a run of local-origin failures.
     */
    public void onResponse(Endpoint endpoint, int status, long nowNanos) {
        Host host = state.get().hosts.get(endpoint);
        if (host == null) {
            return; // left the cluster while the attempt was in flight
        }
        if (policy.splitExternalLocalOriginErrors()) {
            clear(host.counters.localOrigin);
        }
        countStatus(endpoint, host.counters, status, nowNanos);
    }

    /**
     * Reports an attempt that failed on the proxy's side. Counted apart when {@code
     * splitExternalLocalOriginErrors}; otherwise as the 503 or 504 Envoy maps it to.
     */
    public void onLocalOriginFailure(Endpoint endpoint, LocalOriginFailure failure, long nowNanos) {
        Host host = state.get().hosts.get(endpoint);
        if (host == null) {
            return;
        }
        if (!policy.splitExternalLocalOriginErrors()) {
            countStatus(endpoint, host.counters, failure.status(), nowNanos);
            return;
        }
        int threshold = policy.consecutiveLocalOriginFailures();
        if (host.counters.localOrigin.incrementAndGet() == threshold) {
            detect(endpoint, EjectionReason.CONSECUTIVE_LOCAL_ORIGIN_FAILURE, nowNanos);
        }
    }

    /**
     * Reports that an HTTP attempt got its connection or stream; its response is reported later.
     * Ends a run of local-origin failures when they are split, and is otherwise ignored.
     */
    public void onConnected(Endpoint endpoint) {
        if (!policy.splitExternalLocalOriginErrors()) {
            return;
        }
        Host host = state.get().hosts.get(endpoint);
        if (host != null) {
            clear(host.counters.localOrigin);
        }
    }

    /**
     * Reports that an opaque TCP connection was made, which is the whole outcome for TCP: ends a run
     * of local-origin failures when they are split, and counts as a success (a 200) otherwise.
     */
    public void onTcpConnected(Endpoint endpoint, long nowNanos) {
        Host host = state.get().hosts.get(endpoint);
        if (host == null) {
            return;
        }
        if (policy.splitExternalLocalOriginErrors()) {
            clear(host.counters.localOrigin);
        } else {
            countStatus(endpoint, host.counters, 200, nowNanos);
        }
    }

    /**
     * The interval sweep, to call every {@code interval}: returns each ejected endpoint whose
     * ejection time has passed (its failure counts start again from zero), then lowers by one the
     * ejection multiplier of each endpoint that has stayed in for an interval since it returned.
     */
    public void tick(long nowNanos) {
        for (;;) {
            State current = state.get();
            Map<Endpoint, Host> hosts = null;
            List<Endpoint> returned = new ArrayList<>();
            for (Map.Entry<Endpoint, Host> entry : current.hosts.entrySet()) {
                Host host = entry.getValue();
                Host next = host;
                if (host.ejected) {
                    if (nowNanos - host.ejectedAtNanos >= host.ejectionNanos) {
                        next = host.uneject(nowNanos);
                        returned.add(entry.getKey());
                    }
                } else if (host.unejectedOnce && host.multiplier > 0 && nowNanos - host.unejectedAtNanos >= intervalNanos) {
                    next = host.decay();
                }
                if (next != host) {
                    if (hosts == null) {
                        hosts = new HashMap<>(current.hosts);
                    }
                    hosts.put(entry.getKey(), next);
                }
            }
            if (hosts == null) {
                return;
            }
            Set<Endpoint> ejected = current.ejected;
            if (!returned.isEmpty()) {
                ejected = new HashSet<>(current.ejected);
                returned.forEach(ejected::remove);
            }
            if (state.compareAndSet(current, new State(hosts, ejected, policy.minHealthPercent()))) {
                for (Endpoint endpoint : returned) {
                    // Envoy starts the counts again, so a nearly full run from before the ejection
                    // does not eject again after a failure or two.
                    hosts.get(endpoint).counters.resetAll();
                    notifyUnejected(endpoint);
                }
                return;
            }
        }
    }

    /**
     * Makes {@code endpoints} the cluster's endpoints: state is kept for those already known, new
     * ones start healthy, and the others are forgotten, an ejected one freeing its share of the
     * ejection limit (no listener call: it is gone, not returned).
     */
    public void retain(Collection<Endpoint> endpoints) {
        for (;;) {
            State current = state.get();
            Map<Endpoint, Host> hosts = new HashMap<>();
            for (Endpoint endpoint : endpoints) {
                Host known = current.hosts.get(endpoint);
                hosts.put(endpoint, known != null ? known : Host.fresh());
            }
            Set<Endpoint> ejected = new HashSet<>(current.ejected);
            ejected.retainAll(hosts.keySet());
            if (state.compareAndSet(current, new State(hosts, ejected, policy.minHealthPercent()))) {
                return;
            }
        }
    }

    /** Whether balancers should skip {@code endpoint} now: false for every endpoint below {@code minHealthPercent}. */
    public boolean isEjected(Endpoint endpoint) {
        return state.get().visible.contains(endpoint);
    }

    /** The endpoints balancers should skip now: an immutable snapshot, empty below {@code minHealthPercent}. */
    public Set<Endpoint> ejectedEndpoints() {
        return state.get().visible;
    }

    /**
     * Whether fewer than {@code minHealthPercent} of the endpoints are in, so that ejections are
     * ignored and every endpoint takes traffic (Envoy's panic mode).
     */
    public boolean belowMinHealth() {
        return state.get().belowMinHealth;
    }

    public Stats stats() {
        Map<EjectionReason, Long> detectedNow = new EnumMap<>(EjectionReason.class);
        Map<EjectionReason, Long> enforcedNow = new EnumMap<>(EjectionReason.class);
        long total = 0;
        for (EjectionReason reason : EjectionReason.values()) {
            detectedNow.put(reason, detected.get(reason).sum());
            long n = enforced.get(reason).sum();
            enforcedNow.put(reason, n);
            total += n;
        }
        return new Stats(state.get().ejected.size(), total, overflows.sum(), detectedNow, enforcedNow);
    }

    /** How the detector sees {@code endpoint} at {@code nowNanos}; empty if it is not in the cluster. */
    public Optional<HostStatus> hostStatus(Endpoint endpoint, long nowNanos) {
        Host host = state.get().hosts.get(endpoint);
        if (host == null) {
            return Optional.empty();
        }
        long left = host.ejected ? Math.max(0, host.ejectionNanos - (nowNanos - host.ejectedAtNanos)) : 0;
        return Optional.of(new HostStatus(
                host.ejected,
                Optional.ofNullable(host.reason),
                host.timesEjected,
                host.multiplier,
                Duration.ofNanos(host.ejectionNanos),
                Duration.ofNanos(left),
                host.counters.fiveXx.get(),
                host.counters.gateway.get(),
                host.counters.localOrigin.get()));
    }

    /** Envoy's {@code putHttpResponseCode}: the gateway detector first, then the 5xx one. */
    private void countStatus(Endpoint endpoint, Counters counters, int status, long nowNanos) {
        if (status < 500 || status > 599) {
            clear(counters.fiveXx);
            clear(counters.gateway);
            return;
        }
        if (status >= 502 && status <= 504) {
            if (counters.gateway.incrementAndGet() == policy.consecutiveGatewayErrors()) {
                detect(endpoint, EjectionReason.CONSECUTIVE_GATEWAY_FAILURE, nowNanos);
            }
        } else {
            clear(counters.gateway);
        }
        // Exactly one caller sees the count equal the threshold, so one run is detected once.
        if (counters.fiveXx.incrementAndGet() == policy.consecutive5xxErrors()) {
            detect(endpoint, EjectionReason.CONSECUTIVE_5XX, nowNanos);
        }
    }

    /** A run reached its threshold: eject if the limit allows, and start the run again either way. */
    private void detect(Endpoint endpoint, EjectionReason reason, long nowNanos) {
        for (;;) {
            State current = state.get();
            Host host = current.hosts.get(endpoint);
            if (host == null || host.ejected) {
                return; // gone, or already out for another reason: as Envoy, nothing is counted
            }
            if (!roomForOneMore(current)) {
                detected.get(reason).increment();
                overflows.increment();
                host.counters.of(reason).set(0);
                return;
            }
            int multiplier = host.multiplier;
            if (saturatedMultiply(multiplier, baseNanos) < saturatedAdd(maxNanos, baseNanos)) {
                multiplier++;
            }
            long ejectionNanos = Math.min(saturatedMultiply(multiplier, baseNanos), maxNanos);
            Map<Endpoint, Host> hosts = new HashMap<>(current.hosts);
            hosts.put(endpoint, host.eject(reason, multiplier, nowNanos, ejectionNanos));
            Set<Endpoint> ejected = new HashSet<>(current.ejected);
            ejected.add(endpoint);
            if (state.compareAndSet(current, new State(hosts, ejected, policy.minHealthPercent()))) {
                detected.get(reason).increment();
                enforced.get(reason).increment();
                host.counters.of(reason).set(0);
                notifyEjected(endpoint, reason, Duration.ofNanos(ejectionNanos));
                return;
            }
        }
    }

    /**
     * Envoy's rule: one more ejection may not take the ejected share past {@code
     * maxEjectionPercent}, except the first when {@code alwaysEjectOneHost}.
     */
    private boolean roomForOneMore(State current) {
        long ejected = current.ejected.size();
        if (ejected == 0 && policy.alwaysEjectOneHost()) {
            return true;
        }
        return (ejected + 1) * 100 <= (long) policy.maxEjectionPercent() * current.hosts.size();
    }

    private void notifyEjected(Endpoint endpoint, EjectionReason reason, Duration time) {
        try {
            listener.onEjected(endpoint, reason, time);
        } catch (RuntimeException e) {
            log.warn("Outlier listener failed on the ejection of {}", endpoint, e);
        }
    }

    private void notifyUnejected(Endpoint endpoint) {
        try {
            listener.onUnejected(endpoint);
        } catch (RuntimeException e) {
            log.warn("Outlier listener failed on the return of {}", endpoint, e);
        }
    }

    /** Sets a shared counter to zero without writing, and so without contention, when it already is. */
    private static void clear(AtomicInteger counter) {
        if (counter.get() != 0) {
            counter.set(0);
        }
    }

    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        return (high == 0 && low >= 0) ? low : Long.MAX_VALUE; // both operands are non-negative
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum; // both operands are non-negative
    }

    @Override
    public String toString() {
        State current = state.get();
        return "OutlierDetector[endpoints=" + current.hosts.size() + ", ejected=" + current.ejected
                + (current.belowMinHealth ? ", below minHealthPercent" : "") + "]";
    }
}
