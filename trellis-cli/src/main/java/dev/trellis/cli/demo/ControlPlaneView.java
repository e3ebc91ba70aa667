package dev.trellis.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.cli.client.ApiClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the control plane says about the mesh, read through its HTTP API as
 * {@code trellis proxy-status} and {@code trellis get workloadentries} read it: the connected
 * proxies and how far each is in step, and the workloads their sidecars registered.
 */
public final class ControlPlaneView {
    /** The xDS types a Trellis proxy subscribes to, in the order proxy-status shows them. */
    public static final List<String> TYPES = List.of("CDS", "LDS", "EDS", "RDS");

    /**
     * One type as one proxy holds it.
     *
     * @param current the control plane's version for the proxy
     * @param acked the version the proxy last acknowledged
     * @param nack why the proxy rejected the current version, if it did
     */
    public record TypeStatus(String current, String acked, Optional<String> nack) {
        /** SYNCED, STALE or NACKED, as {@code trellis proxy-status} shows it. */
        public String state() {
            return nack.isPresent() ? "NACKED" : !current.isEmpty() && current.equals(acked) ? "SYNCED" : "STALE";
        }
    }

    /** One connected proxy. */
    public record Proxy(String name, String namespace, String nodeId, String address, String state, Map<String, TypeStatus> types) {
        public Optional<TypeStatus> type(String type) {
            return Optional.ofNullable(types.get(type));
        }

        public String ref() {
            return name + "." + namespace;
        }
    }

    /** One registered workload. */
    public record Workload(String service, String address, int port, String protocol, Map<String, String> labels,
            String serviceAccount, String nodeId) {}

    private ControlPlaneView() {}

    /** {@code GET /api/v1/proxy-status}: every connected Trellis proxy (proxyless clients are left out). */
    public static List<Proxy> proxies(ApiClient api) throws ApiClient.ApiException {
        List<Proxy> proxies = new ArrayList<>();
        for (JsonNode item : api.get("/api/v1/proxy-status", Map.of()).path("items")) {
            if (!item.path("name").isTextual()) {
                continue;
            }
            Map<String, TypeStatus> types = new TreeMap<>();
            item.path("types").fields().forEachRemaining(type -> {
                JsonNode nack = type.getValue().path("lastNack");
                types.put(type.getKey(), new TypeStatus(type.getValue().path("current").asText(),
                        type.getValue().path("acked").asText(),
                        nack.isObject() ? Optional.of(nack.path("reason").asText()) : Optional.empty()));
            });
            proxies.add(new Proxy(item.path("name").asText(), item.path("namespace").asText(), item.path("nodeId").asText(),
                    item.path("address").asText(), item.path("state").asText(), types));
        }
        return proxies;
    }

    /** {@code GET /api/v1/workloadentries}: the workloads registered in every namespace. */
    public static List<Workload> workloads(ApiClient api) throws ApiClient.ApiException {
        List<Workload> workloads = new ArrayList<>();
        for (JsonNode item : api.get("/api/v1/workloadentries", Map.of()).path("items")) {
            Map<String, String> labels = new TreeMap<>();
            item.path("labels").fields().forEachRemaining(label -> labels.put(label.getKey(), label.getValue().asText()));
            workloads.add(new Workload(item.path("service").asText(), item.path("address").asText(), item.path("port").asInt(),
                    item.path("protocol").asText(), labels, item.path("serviceAccount").asText(), item.path("nodeId").asText()));
        }
        return workloads;
    }

    /** The proxy named {@code name}, if it is connected. */
    public static Optional<Proxy> proxy(List<Proxy> proxies, String name) {
        return proxies.stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
