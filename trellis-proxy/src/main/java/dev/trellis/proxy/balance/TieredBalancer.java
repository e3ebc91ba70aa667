package dev.trellis.proxy.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * A cluster's balancer over healthy endpoints in priority tiers ({@link LocalityTiers}), wrapping
 * the cluster's algorithm: pick a tier by the traffic its health earns it, then a locality group
 * of that tier by weight and health, then an endpoint of that group with the {@link LbPolicy}.
 *
 * <p>The tier arithmetic is Envoy's (priority levels, overprovisioning, panic threshold): a tier
 * whose healthy share is h has health min(1, 1.4 h); with N = min(1, sum of the healths), tier 0
 * takes health(0) / N of the traffic and each next tier min(what is left, health(i) / N). So a tier
 * keeps all its traffic while at least 1/1.4 ≈ 71% of it is healthy, spills the rest to the next
 * tier below that, and takes it back as it recovers. A locality group's weight is scaled the same
 * way, by min(1, 1.4 × its healthy share). When N < 1, a tier below the panic threshold balances
 * over all its endpoints; when every tier is, traffic goes to tiers by endpoint count.
 *
 * <p>grpc-java's shape: health changes ({@link #updateHealth}) run one at a time and build an
 * immutable picker, swapped in whole; {@link #pick} reads it and takes no lock.
 */
public final class TieredBalancer implements Balancer {
    private static final PickContext NO_KEY = () -> null;

    private final LbPolicy policy;
    private final LocalityTiers tiers;
    private final LbSettings settings;
    private final LbEnv env;
    private final PeakEwmaBalancer.Ewma ewma;
    private final boolean single;
    private volatile Picker picker;

    private TieredBalancer(LbPolicy policy, LocalityTiers tiers, LbSettings settings, LbEnv env) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.tiers = Objects.requireNonNull(tiers, "tiers");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.env = env;
        this.ewma = policy == LbPolicy.PEAK_EWMA ? new PeakEwmaBalancer.Ewma(settings, env.nanoClock()) : null;
        List<Endpoint> all = tiers.tiers().stream().flatMap(t -> t.endpoints().stream()).toList();
        this.single = all.size() <= 1;
        Warmup.stamp(all, env.nanoClock().getAsLong());
        this.picker = build(e -> true);
    }

    /** A balancer over {@code tiers}, all endpoints healthy until told otherwise. */
    public static TieredBalancer create(LbPolicy policy, LocalityTiers tiers, LbSettings settings) {
        return new TieredBalancer(policy, tiers, settings, LbEnv.SYSTEM);
    }

    /** Likewise, on another clock (nanoseconds, monotonic): for tests. */
    public static TieredBalancer create(LbPolicy policy, LocalityTiers tiers, LbSettings settings, LongSupplier nanoClock) {
        return new TieredBalancer(policy, tiers, settings, LbEnv.withClock(nanoClock));
    }

    static TieredBalancer create(LbPolicy policy, LocalityTiers tiers, LbSettings settings, LbEnv env) {
        return new TieredBalancer(policy, tiers, settings, env);
    }

    /**
     * Tells the balancer which endpoints are healthy (not ejected by outlier detection, not failing
     * health checks); the picks that start after this returns follow it. Calls are serialised.
     */
    public synchronized void updateHealth(Predicate<? super Endpoint> healthy) {
        picker = build(Objects.requireNonNull(healthy, "healthy"));
    }

    @Override
    public Endpoint pick(PickContext request) {
        Picker p = picker;
        if (p.only != null) {
            return p.only.pick(request);
        }
        if (p.tiers.length == 0) {
            return null;
        }
        if (policy != LbPolicy.RING_HASH) {
            RandomGenerator random = env.random().get();
            TierPicker tier = p.tiers[select(p.cumulativeLoad, random.nextDouble())];
            return tier.groups.length == 1
                    ? tier.groups[0].pick(request)
                    : tier.groups[select(tier.cumulativeWeight, random.nextDouble())].pick(request);
        }
        // Asked once: a hash policy may make up a key (a cookie to set) at each asking.
        String key = request.hashKey();
        if (key == null) {
            RandomGenerator random = env.random().get();
            TierPicker tier = p.tiers[select(p.cumulativeLoad, random.nextDouble())];
            return tier.groups[select(tier.cumulativeWeight, random.nextDouble())].pick(NO_KEY);
        }
        // A keyed request goes to the same tier and group while their loads hold (Envoy chooses the
        // priority by the hash too), by bits that do not follow the ring's order.
        long h = RingHashBalancer.hash(key);
        TierPicker tier = p.tiers[select(p.cumulativeLoad, unit(mix(h ^ 0x5851F42D4C957F2DL)))];
        return tier.groups[select(tier.cumulativeWeight, unit(mix(h ^ 0x14057B7EF767814FL)))].pick(() -> key);
    }

    @Override
    public void record(Endpoint endpoint, long latencyNanos, long nowNanos) {
        if (ewma != null && !single) { // one endpoint: there is no choice for the estimate to inform
            ewma.record(endpoint, latencyNanos, nowNanos);
        }
    }

    /** The share of traffic each tier takes now, in tier order: Envoy's priority load. */
    public List<Double> tierLoads() {
        return picker.loads;
    }

    public LocalityTiers tiers() {
        return tiers;
    }

    private Picker build(Predicate<? super Endpoint> healthy) {
        List<LocalityTiers.Tier> all = tiers.tiers();
        int n = all.size();
        double factor = settings.overprovisioningFactor();
        int[] total = new int[n];
        int[] up = new int[n];
        double[] health = new double[n];
        double totalHealth = 0;
        for (int i = 0; i < n; i++) {
            for (Endpoint endpoint : all.get(i).endpoints()) {
                total[i]++;
                up[i] += healthy.test(endpoint) ? 1 : 0;
            }
            health[i] = total[i] == 0 ? 0 : Math.min(1, factor * up[i] / total[i]);
            totalHealth += health[i];
        }
        double normalized = Math.min(1, totalHealth);
        double[] load = new double[n];
        boolean[] panic = new boolean[n];
        boolean allPanic = n > 0;
        for (int i = 0; i < n; i++) {
            // Envoy disregards the panic threshold while the tiers together have health enough.
            panic[i] = normalized < 1 && total[i] > 0 && 100.0 * up[i] / total[i] < settings.panicThresholdPercent();
            allPanic &= panic[i];
        }
        if (allPanic) {
            int endpoints = 0;
            for (int t : total) {
                endpoints += t;
            }
            for (int i = 0; i < n; i++) {
                load[i] = (double) total[i] / endpoints;
            }
        } else if (normalized > 0) {
            double left = 1;
            for (int i = 0; i < n; i++) {
                load[i] = Math.min(left, health[i] / normalized);
                left -= load[i];
            }
        }
        List<Double> loads = new ArrayList<>(n);
        List<TierPicker> pickers = new ArrayList<>();
        List<Double> pickerLoads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            loads.add(load[i]);
            TierPicker tier = load[i] > 0 ? tierPicker(all.get(i), panic[i] ? e -> true : healthy, factor) : null;
            if (tier != null) {
                pickers.add(tier);
                pickerLoads.add(load[i]);
            }
        }
        return new Picker(pickers.toArray(TierPicker[]::new), running(pickerLoads), List.copyOf(loads));
    }

    private TierPicker tierPicker(LocalityTiers.Tier tier, Predicate<? super Endpoint> healthy, double factor) {
        List<Balancer> groups = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (LocalityTiers.Group group : tier.groups()) {
            Endpoint[] up = group.endpoints().stream().filter(healthy).toArray(Endpoint[]::new);
            if (up.length == 0) {
                continue;
            }
            // Envoy's locality availability: weight × min(1, overprovisioning × healthy share)
            weights.add(group.weight() * Math.min(1, factor * up.length / group.endpoints().size()));
            groups.add(Balancers.build(policy, up, settings, env));
        }
        return groups.isEmpty() ? null : new TierPicker(groups.toArray(Balancer[]::new), running(weights));
    }

    private static double[] running(List<Double> values) {
        double[] sums = new double[values.size()];
        double sum = 0;
        for (int i = 0; i < sums.length; i++) {
            sum += values.get(i);
            sums[i] = sum;
        }
        return sums;
    }

    /** The index whose share of the running sums {@code u}, in [0, 1), falls on. */
    private static int select(double[] cumulative, double u) {
        int last = cumulative.length - 1;
        if (last == 0) {
            return 0;
        }
        double target = u * cumulative[last];
        for (int i = 0; i < last; i++) { // few tiers and groups: a scan beats a search
            if (target < cumulative[i]) {
                return i;
            }
        }
        return last;
    }

    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static double unit(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }

    /** Everything a pick reads, immutable: the tiers with traffic, and their running loads. */
    private static final class Picker {
        final TierPicker[] tiers;
        final double[] cumulativeLoad;
        final List<Double> loads;
        /** The balancer of the only group of the only tier with traffic, or null. */
        final Balancer only;

        Picker(TierPicker[] tiers, double[] cumulativeLoad, List<Double> loads) {
            this.tiers = tiers;
            this.cumulativeLoad = cumulativeLoad;
            this.loads = loads;
            this.only = tiers.length == 1 && tiers[0].groups.length == 1 ? tiers[0].groups[0] : null;
        }
    }

    private record TierPicker(Balancer[] groups, double[] cumulativeWeight) {}
}
