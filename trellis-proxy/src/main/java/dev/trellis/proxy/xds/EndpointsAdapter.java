package dev.trellis.proxy.xds;

import dev.trellis.proxy.balance.Locality;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a cluster's endpoints (a ClusterLoadAssignment, over EDS or inline) into endpoint specs,
 * each with its locality, the priority the control plane gave it and, where locality weights
 * apply, its locality's weight. Endpoints reported unhealthy, draining or timed out are left out of
 * balancing, as Envoy does; so are the endpoints of a locality without weight where locality
 * weights apply, which Envoy sends nothing. Priorities must run 0..N without gaps, as Envoy requires.
 */
final class EndpointsAdapter {
    /** Envoy's overprovisioning factor when an assignment states none: 140, that is 1.4. */
    static final double ENVOY_DEFAULT_OVERPROVISIONING = 1.4;

    private static final Set<String> ASSIGNMENT = Set.of("cluster_name", "endpoints", "policy");
    private static final Set<String> POLICY = Set.of("overprovisioning_factor");
    private static final Set<String> LOCALITY = Set.of("locality", "lb_endpoints", "load_balancing_weight", "priority");
    private static final Set<String> LOCALITY_NAME = Set.of("region", "zone", "sub_zone");
    private static final Set<String> LB_ENDPOINT = Set.of("endpoint", "metadata", "health_status", "load_balancing_weight");
    private static final Set<String> ENDPOINT = Set.of("address", "hostname");
    private static final Set<String> ADDRESS = Set.of("socket_address");
    private static final Set<String> SOCKET_ADDRESS = Set.of("address", "port_value");
    private static final Set<HealthStatus> LEFT_OUT = Set.of(HealthStatus.UNHEALTHY, HealthStatus.DRAINING, HealthStatus.TIMEOUT);

    /** A cluster's endpoints, and how much spare capacity each priority is assumed to have. */
    record Endpoints(List<Cluster.EndpointSpec> members, double overprovisioningFactor) {}

    private EndpointsAdapter() {}

    /** @param localityWeighted whether locality weights apply: {@code localityWeight} is set from them, else 0 */
    static Endpoints read(ClusterLoadAssignment assignment, boolean localityWeighted, String where, Refusals refusals) {
        String at = Refusals.at(where, "endpoints");
        refusals.onlyFields(assignment, at, ASSIGNMENT);
        double factor = ENVOY_DEFAULT_OVERPROVISIONING;
        if (assignment.hasPolicy()) {
            refusals.onlyFields(assignment.getPolicy(), at + ".policy", POLICY);
            if (assignment.getPolicy().hasOverprovisioningFactor()) {
                long percent = Integer.toUnsignedLong(assignment.getPolicy().getOverprovisioningFactor().getValue());
                if (percent < 100) {
                    refusals.add(at + ".policy.overprovisioning_factor", percent
                            + " (expected: 100 or more; Trellis never assumes fewer endpoints than a priority has)");
                }
                factor = percent / 100.0;
            }
        }
        List<Cluster.EndpointSpec> members = new ArrayList<>();
        Set<Integer> priorities = new TreeSet<>();
        for (int i = 0; i < assignment.getEndpointsCount(); i++) {
            LocalityLbEndpoints locality = assignment.getEndpoints(i);
            String localityWhere = at + ".endpoints[" + i + "]";
            refusals.onlyFields(locality, localityWhere, LOCALITY);
            refusals.onlyFields(locality.getLocality(), localityWhere + ".locality", LOCALITY_NAME);
            Locality place = locality(locality.getLocality(), localityWhere + ".locality", refusals);
            int weight = localityWeighted ? locality.getLoadBalancingWeight().getValue() : 0;
            if (locality.getLbEndpointsCount() > 0) {
                priorities.add(locality.getPriority());
            }
            for (int j = 0; j < locality.getLbEndpointsCount(); j++) {
                Cluster.EndpointSpec member = member(locality.getLbEndpoints(j), localityWhere + ".lb_endpoints[" + j + "]", refusals);
                if (member != null && place != null && (!localityWeighted || weight > 0)) {
                    members.add(new Cluster.EndpointSpec(member.host(), member.port(), member.labels(), place,
                            locality.getPriority(), weight));
                }
            }
        }
        int expected = 0;
        for (int priority : priorities) {
            if (priority != expected++) {
                refusals.add(at, "priorities " + priorities + " (expected: 0.." + (priorities.size() - 1)
                        + " without gaps, as Envoy requires)");
                break;
            }
        }
        return new Endpoints(members, factor);
    }

    private static Locality locality(io.envoyproxy.envoy.config.core.v3.Locality locality, String where, Refusals refusals) {
        try {
            return new Locality(locality.getRegion(), locality.getZone(), locality.getSubZone());
        } catch (IllegalArgumentException e) {
            refusals.add(where, e.getMessage());
            return null;
        }
    }

    /** One endpoint, without locality; null when it is left out or refused. */
    private static Cluster.EndpointSpec member(LbEndpoint endpoint, String where, Refusals refusals) {
        refusals.onlyFields(endpoint, where, LB_ENDPOINT);
        if (endpoint.hasLoadBalancingWeight() && endpoint.getLoadBalancingWeight().getValue() != 1) {
            refusals.add(where + ".load_balancing_weight", Integer.toUnsignedLong(endpoint.getLoadBalancingWeight().getValue())
                    + " (expected: 1; Trellis weighs localities, not endpoints)");
        }
        if (endpoint.getHealthStatus() == HealthStatus.DEGRADED) {
            refusals.add(where + ".health_status", "DEGRADED (expected: HEALTHY, UNKNOWN, UNHEALTHY, DRAINING or TIMEOUT)");
        }
        refusals.onlyFields(endpoint.getEndpoint(), where + ".endpoint", ENDPOINT);
        Address address = endpoint.getEndpoint().getAddress();
        refusals.onlyFields(address, where + ".endpoint.address", ADDRESS);
        SocketAddress socket = address.getSocketAddress();
        refusals.onlyFields(socket, where + ".endpoint.address.socket_address", SOCKET_ADDRESS);
        if (socket.getAddress().isEmpty() || socket.getPortValue() == 0) {
            refusals.add(where + ".endpoint.address.socket_address", "\"" + socket.getAddress() + ":"
                    + socket.getPortValue() + "\" (expected: an address and a port)");
            return null;
        }
        if (LEFT_OUT.contains(endpoint.getHealthStatus())) {
            return null;
        }
        return new Cluster.EndpointSpec(socket.getAddress(), socket.getPortValue(), MeshMetadata.labels(endpoint.getMetadata()));
    }
}
