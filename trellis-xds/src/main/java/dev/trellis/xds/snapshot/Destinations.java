package dev.trellis.xds.snapshot;

import dev.trellis.model.DestinationRule;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Protocol;
import dev.trellis.model.RetryBudget;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.Service;
import dev.trellis.model.ServicePort;
import dev.trellis.model.Subset;
import dev.trellis.model.TrafficPolicy;
import dev.trellis.xds.ResourceNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * Resolves where a route sends requests against the mesh model: the service and port of a
 * destination, its subset and traffic policy, and so the name, policies and members of the
 * cluster that carries its traffic. Every snapshot builder resolves through here, so a Trellis
 * proxy and a proxyless gRPC client reach the same endpoints for the same destination.
 */
final class Destinations {
    /**
     * A destination as a cluster. One that does not resolve still has a name and no members, so
     * that it answers "unavailable" until the service appears rather than leaving a dangling name.
     *
     * @param service the ServiceEntry that declares the host, if one does
     * @param rule the DestinationRule for the host, if there is one
     * @param protocol what the port speaks; HTTP when the port is unknown
     * @param policy the rule's traffic policy for the port and subset, merged as Istio merges them
     * @param retryBudget the host's RetryBudget, if it has one
     */
    record Destination(
            String cluster,
            String host,
            Optional<Service> service,
            Optional<DestinationRule> rule,
            Protocol protocol,
            TrafficPolicy policy,
            Optional<RetryBudget> retryBudget,
            List<Clusters.Member> members) {
        /** The algorithm the policy names; Istio's default, least request, when it names none. */
        LoadBalancer balancer() {
            return policy.loadBalancer().flatMap(LoadBalancerSettings::algorithm).orElse(LoadBalancer.DEFAULT);
        }

        /** The cluster and, when it hashes consistently, its hash key. */
        Routes.Target target() {
            return new Routes.Target(cluster,
                    balancer() instanceof LoadBalancer.ConsistentHash hash ? Optional.of(hash.key()) : Optional.empty());
        }
    }

    private Destinations() {}

    /**
     * @param callerPort the port the request was addressed to, taken when the destination names
     *     none and its service has several
     * @param problems told what does not resolve, each problem without the place it comes from
     */
    static Destination resolve(MeshConfig mesh, RouteDestination destination, int callerPort, Consumer<String> problems) {
        String host = destination.host();
        Optional<Service> service = mesh.service(host);
        Optional<DestinationRule> rule = mesh.destinationRule(host);
        int number = destination.port().orElse(callerPort);
        Optional<ServicePort> port = Optional.empty();
        if (service.isEmpty()) {
            problems.accept("destination host " + host + " is not declared by any ServiceEntry");
        } else {
            List<ServicePort> ports = service.get().ports();
            number = destination.port().orElse(
                    ports.size() == 1 ? ports.get(0).number() : host.equals(service.get().hosts().get(0)) ? callerPort : -1);
            port = service.get().port(number);
            if (port.isEmpty()) {
                problems.accept("destination " + host + " needs a port.number, one of "
                        + ports.stream().map(ServicePort::number).toList());
                number = destination.port().orElse(callerPort);
            }
        }
        Optional<Subset> subset = Optional.empty();
        if (destination.subset().isPresent()) {
            String subsetName = destination.subset().get();
            subset = rule.flatMap(r -> r.subset(subsetName));
            if (subset.isEmpty()) {
                problems.accept("destination " + host + " subset " + subsetName + " is not defined"
                        + rule.map(r -> " in " + r.meta().ref() + " (subsets: "
                                + r.subsets().stream().map(Subset::name).toList() + ")").orElse(" (no DestinationRule for the host)"));
            }
        }
        Optional<Subset> policySubset = subset;
        int policyPort = number;
        TrafficPolicy policy = rule.map(r -> r.policyFor(policySubset, policyPort)).orElse(TrafficPolicy.NONE);
        List<Clusters.Member> members = new ArrayList<>();
        if (port.isPresent() && (destination.subset().isEmpty() || subset.isPresent())) {
            Optional<Subset> selected = subset;
            ServicePort servicePort = port.get();
            service.get().endpoints().stream()
                    .filter(e -> selected.map(s -> s.selects(e.labels())).orElse(true))
                    .forEach(e -> members.add(new Clusters.Member(e.address(), e.portFor(servicePort), e.labels(), e.locality())));
        }
        return new Destination(
                ResourceNames.outboundCluster(number, destination.subset().orElse(""), host),
                host,
                service,
                rule,
                port.map(ServicePort::protocol).orElse(Protocol.HTTP),
                policy,
                mesh.retryBudget(host),
                List.copyOf(members));
    }

    /**
     * A service port whole and each subset of its DestinationRule: the clusters a caller of the
     * port keeps, so that shifting weights between subsets never adds or removes a cluster.
     */
    static List<RouteDestination> wholeAndSubsets(MeshConfig mesh, String host, int port) {
        List<RouteDestination> destinations = new ArrayList<>();
        destinations.add(whole(host, port));
        mesh.destinationRule(host).ifPresent(rule -> rule.subsets().forEach(subset ->
                destinations.add(new RouteDestination(host, Optional.of(subset.name()), OptionalInt.of(port)))));
        return destinations;
    }

    /** Every endpoint of {@code host} on {@code port}. */
    static RouteDestination whole(String host, int port) {
        return new RouteDestination(host, Optional.empty(), OptionalInt.of(port));
    }
}
