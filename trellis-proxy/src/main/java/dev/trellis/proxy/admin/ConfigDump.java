package dev.trellis.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.trellis.proxy.ProxyServer;
import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.resilience.CircuitBreaker;
import dev.trellis.proxy.resilience.OutlierDetector;
import dev.trellis.proxy.resilience.RetryBudget;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.config.ProxyConfig;
import dev.trellis.proxy.route.Route;
import dev.trellis.xds.XdsJson;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running config as JSON: the bootstrap, listeners with their bound ports and routes,
 * clusters with their endpoints and live load, and the xDS resources they were built from with
 * each type's version, in the proto3 JSON form Envoy's config dump uses; then any sections the
 * proxy's driver added (a proxy with a control plane adds {@code "ads"}, its connection's state).
 */
final class ConfigDump {
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final ProxyServer proxy;

    ConfigDump(ProxyServer proxy) {
        this.proxy = proxy;
    }

    String json() {
        try {
            return JSON.writeValueAsString(dump()) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config dump failed", e);
        }
    }

    private Map<String, Object> dump() throws JsonProcessingException {
        ProxyConfig config = proxy.config();
        Map<String, Integer> ports = proxy.ports();
        Map<String, Object> dump = new LinkedHashMap<>();
        dump.put("bootstrap", config.bootstrap());
        dump.put("listeners", config.listeners().stream().map(l -> listener(l, ports.getOrDefault(l.name(), l.port()))).toList());
        dump.put("clusters", config.clusters().values().stream().map(ConfigDump::cluster).toList());
        dump.put("xds", xds(config.resources()));
        proxy.dumpSections().forEach((name, section) -> dump.put(name, section.get()));
        return dump;
    }

    private static Map<String, Object> xds(XdsResources resources) throws JsonProcessingException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (XdsType type : XdsType.values()) {
            List<JsonNode> items = new ArrayList<>();
            for (Message resource : resources.of(type).values()) {
                items.add(JSON.readTree(XdsJson.print(resource)));
            }
            out.put(type.shortName(), Map.of("version", resources.version(type), "resources", items));
        }
        return out;
    }

    private static Map<String, Object> listener(ListenerConfig listener, int port) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", listener.name());
        out.put("direction", listener.direction());
        out.put("address", listener.host() + ":" + port);
        out.put("kind", listener.kind());
        if (listener.tcpCluster() != null) {
            out.put("cluster", listener.tcpCluster().name());
        } else {
            out.put("streamIdleTimeout", listener.http().streamIdleTimeout());
            out.put("httpFilters", listener.http().filters());
            out.put("routes", listener.routes().routes().stream().map(ConfigDump::route).toList());
        }
        return out;
    }

    private static Map<String, Object> route(Route route) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", route.name());
        out.put("destinations", route.clusters().stream().map(c -> Map.of("cluster", c.name(), "weight", c.weight())).toList());
        out.put("policy", route.policy());
        return out;
    }

    private static Map<String, Object> cluster(Cluster cluster) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", cluster.name());
        out.put("service", cluster.service());
        out.put("http2", cluster.http2());
        out.put("lbPolicy", cluster.spec().lbPolicy());
        out.put("lbSettings", cluster.spec().lbSettings());
        out.put("upstream", cluster.upstream());
        out.put("circuitBreaker", breaker(cluster.breaker()));
        if (cluster.retryBudget() != null) {
            RetryBudget budget = cluster.retryBudget();
            out.put("retryBudget", Map.of("policy", budget.policy(), "retriesAllowed", budget.retriesAllowed(),
                    "retriesSkipped", budget.retriesSkipped()));
        }
        out.put("tierLoads", cluster.balancer().tierLoads());
        OutlierDetector outlier = cluster.outlier();
        out.put("endpoints", cluster.spec().endpoints().isEmpty() ? List.of()
                : java.util.stream.IntStream.range(0, cluster.endpoints().size())
                        .mapToObj(i -> endpoint(cluster.endpoints().get(i), cluster.spec().endpoints().get(i), outlier))
                        .toList());
        if (outlier != null) {
            out.put("outlierDetection", outlier.stats());
        }
        return out;
    }

    /** Each limit with what is in use now and how often it overflowed. */
    private static Map<String, Object> breaker(CircuitBreaker breaker) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (CircuitBreaker.Resource resource : CircuitBreaker.Resource.values()) {
            out.put(resource.name().toLowerCase(java.util.Locale.ROOT), Map.of(
                    "limit", breaker.policy().limit(resource),
                    "active", breaker.active(resource),
                    "overflows", breaker.overflows(resource)));
        }
        return out;
    }

    private static Map<String, Object> endpoint(Endpoint endpoint, Cluster.EndpointSpec spec, OutlierDetector outlier) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("address", endpoint.toString());
        out.put("labels", endpoint.labels());
        out.put("locality", endpoint.locality().toString());
        out.put("priority", spec.priority());
        out.put("activeRequests", endpoint.activeRequests());
        if (outlier != null) {
            out.put("ejected", outlier.isEjected(endpoint));
            outlier.hostStatus(endpoint, System.nanoTime()).ifPresent(status -> out.put("outlier", status));
        }
        return out;
    }

}
