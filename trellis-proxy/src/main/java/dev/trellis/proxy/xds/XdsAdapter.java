package dev.trellis.proxy.xds;

import dev.trellis.model.ConfigException;
import dev.trellis.model.Hosts;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.config.ProxyConfig;
import dev.trellis.proxy.telemetry.Metrics;
import dev.trellis.proxy.telemetry.RequestStats;
import dev.trellis.xds.XdsResources;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns xDS resources into the configuration a proxy runs: the one way in for every proxy,
 * whether the resources came from a control plane or from its own files. Whatever the proxy
 * cannot honour is refused, every reason naming its resource and field, so that the resources
 * can be NACKed whole and the running configuration stays.
 */
public final class XdsAdapter {
    private final Metrics metrics;

    public XdsAdapter(Metrics metrics) {
        this.metrics = metrics;
    }

    /**
     * @param previous the configuration running now, or null: clusters whose spec is unchanged
     *     are carried over as they are, with their balancer state and load counters
     */
    public ProxyConfig adapt(ProxyBootstrap bootstrap, XdsResources resources, ProxyConfig previous) throws ConfigException {
        Refusals refusals = new Refusals();
        Map<String, Cluster> clusters = new TreeMap<>();
        for (io.envoyproxy.envoy.config.cluster.v3.Cluster cluster : resources.clusters().values()) {
            Cluster.Spec spec = ClusterAdapter.spec(cluster, resources.endpoints(), refusals);
            if (spec != null) {
                Cluster running = previous == null ? null : previous.clusters().get(spec.name());
                clusters.put(spec.name(), running != null && running.spec().equals(spec) ? running
                        : new Cluster(spec, running, metrics.clusterStats(spec.name())));
            }
        }
        Labels labels = new Labels(bootstrap);
        ListenerAdapter adapter = new ListenerAdapter(clusters, resources.routes(),
                (direction, service, route, cluster) -> metrics.requestStats(direction == ListenerConfig.Direction.INBOUND
                        ? labels.inbound(service, route, cluster)
                        : labels.outbound(service, route, cluster)),
                refusals);
        List<ListenerConfig> listeners = new ArrayList<>();
        for (Listener listener : resources.listeners().values()) {
            ListenerConfig config = adapter.listener(listener);
            if (config != null) {
                listeners.add(config);
            }
        }
        if (!refusals.isEmpty()) {
            throw new ConfigException(refusals.problems());
        }
        return new ProxyConfig(bootstrap, listeners, clusters, resources);
    }

    /** Istio's metric labels, from the proxy's own workload and the request's service, route and cluster. */
    private record Labels(ProxyBootstrap bootstrap) {
        Map<String, String> outbound(String service, String route, String cluster) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("reporter", "source");
            labels.put("source_workload", bootstrap.workload().service());
            labels.put("source_workload_namespace", bootstrap.meta().namespace());
            serviceLabels(labels, service);
            labels.put("route_name", route);
            labels.put("upstream_cluster", cluster);
            return labels;
        }

        /** Inbound requests are for the proxy's own service, whatever the listener's metadata says. */
        Map<String, String> inbound(String ignoredService, String route, String cluster) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("reporter", "destination");
            labels.put("destination_workload", bootstrap.workload().service());
            labels.put("destination_workload_namespace", bootstrap.meta().namespace());
            serviceLabels(labels, Hosts.qualify(bootstrap.workload().service(), bootstrap.meta().namespace()));
            labels.put("route_name", route);
            labels.put("upstream_cluster", cluster);
            return labels;
        }

        private static void serviceLabels(Map<String, String> labels, String service) {
            labels.put("destination_service", service);
            String[] parts = service.split("\\.");
            boolean inCluster = service.endsWith("." + Hosts.CLUSTER_DOMAIN) && parts.length >= 4;
            labels.put("destination_service_name", inCluster ? parts[0] : service);
            labels.put("destination_service_namespace", inCluster ? parts[1] : "unknown");
        }
    }
}
