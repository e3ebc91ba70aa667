package dev.trellis.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Every resource the mesh knows, as read from its documents. */
public record MeshConfig(
        List<ProxyBootstrap> proxies,
        List<Service> services,
        List<VirtualService> virtualServices,
        List<DestinationRule> destinationRules,
        List<LocalRateLimit> localRateLimits,
        List<RetryBudget> retryBudgets) {
    public static final MeshConfig EMPTY = new MeshConfig(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());

    public MeshConfig {
        proxies = List.copyOf(proxies);
        services = List.copyOf(services);
        virtualServices = List.copyOf(virtualServices);
        destinationRules = List.copyOf(destinationRules);
        localRateLimits = List.copyOf(localRateLimits);
        retryBudgets = List.copyOf(retryBudgets);
    }

    /** This config and {@code other} together. */
    public MeshConfig merge(MeshConfig other) {
        return new MeshConfig(
                concat(proxies, other.proxies),
                concat(services, other.services),
                concat(virtualServices, other.virtualServices),
                concat(destinationRules, other.destinationRules),
                concat(localRateLimits, other.localRateLimits),
                concat(retryBudgets, other.retryBudgets));
    }

    /** The service that answers to {@code host}, if any. */
    public Optional<Service> service(String host) {
        return services.stream().filter(s -> s.hosts().contains(host)).findFirst();
    }

    /** The destination rule for {@code host}, if any. */
    public Optional<DestinationRule> destinationRule(String host) {
        return destinationRules.stream().filter(r -> r.host().equals(host)).findFirst();
    }

    /** The local rate limit of the service {@code host}, if any. */
    public Optional<LocalRateLimit> localRateLimit(String host) {
        return localRateLimits.stream().filter(l -> l.host().equals(host)).findFirst();
    }

    /** The retry budget for {@code host}, if any. */
    public Optional<RetryBudget> retryBudget(String host) {
        return retryBudgets.stream().filter(b -> b.host().equals(host)).findFirst();
    }

    /** The virtual services that route requests for {@code host}, in document order. */
    public List<VirtualService> virtualServicesFor(String host) {
        return virtualServices.stream().filter(v -> v.hosts().contains(host)).toList();
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a.size() + b.size());
        all.addAll(a);
        all.addAll(b);
        return all;
    }

    /** Every resource's identity, in reading order. */
    public Stream<Meta> metas() {
        return Stream.of(
                        proxies.stream().map(ProxyBootstrap::meta),
                        services.stream().map(Service::meta),
                        virtualServices.stream().map(VirtualService::meta),
                        destinationRules.stream().map(DestinationRule::meta),
                        localRateLimits.stream().map(LocalRateLimit::meta),
                        retryBudgets.stream().map(RetryBudget::meta))
                .flatMap(s -> s);
    }
}
