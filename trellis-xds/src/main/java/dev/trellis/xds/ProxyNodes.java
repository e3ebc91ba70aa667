package dev.trellis.xds;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.trellis.model.Hosts;
import dev.trellis.model.Locality;
import dev.trellis.model.Meta;
import dev.trellis.model.Origin;
import dev.trellis.model.Protocol;
import dev.trellis.model.ProxyBootstrap;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A Trellis proxy's xDS node: its id, and its {@code Proxy} bootstrap in the node metadata under
 * {@value #METADATA_KEY}, so the control plane knows its workload, listeners and upstreams from
 * the first request. A node without that key is not a Trellis proxy (a proxyless gRPC client).
 * The workload's locality goes in the metadata and in the node's own {@code locality}, where Envoy
 * and gRPC clients put theirs.
 */
public final class ProxyNodes {
    public static final String METADATA_KEY = "trellis.dev/proxy";

    private ProxyNodes() {}

    /**
     * @param instanceId tells apart proxies started from one file: the node id is
     *     {@code <name>.<namespace>~<instanceId>}
     */
    public static Node node(ProxyBootstrap proxy, String instanceId) {
        return Node.newBuilder()
                .setId(proxy.meta().name() + "." + proxy.meta().namespace() + "~" + instanceId)
                .setCluster(Hosts.qualify(proxy.workload().service(), proxy.meta().namespace()))
                .setUserAgentName("trellis")
                .setLocality(locality(proxy.workload().locality()))
                .setMetadata(Struct.newBuilder().putFields(METADATA_KEY, struct(encode(proxy))))
                .build();
    }

    /**
     * The bootstrap a node carries; empty when it carries none.
     *
     * @throws IllegalArgumentException naming the field, when the metadata is not a valid bootstrap
     */
    public static Optional<ProxyBootstrap> bootstrap(Node node) {
        Value value = node.getMetadata().getFieldsOrDefault(METADATA_KEY, null);
        if (value == null) {
            return Optional.empty();
        }
        Fields root = new Fields(METADATA_KEY, value);
        Fields workload = root.object("workload");
        Meta meta = new Meta("Proxy", root.string("name"), root.string("namespace"), new Origin("xDS node " + node.getId(), 0));
        Optional<ProxyBootstrap.Inbound> inbound = root.has("inbound")
                ? Optional.of(inbound(root.object("inbound")))
                : Optional.empty();
        List<ProxyBootstrap.Upstream> upstreams = new ArrayList<>();
        for (Fields upstream : root.list("upstreams")) {
            upstreams.add(new ProxyBootstrap.Upstream(upstream.string("service"), upstream.integer("port"), upstream.integer("bindPort")));
        }
        // Absent from the nodes of proxies older than localities.
        Locality locality = Locality.NONE;
        if (workload.has("locality")) {
            String text = workload.string("locality");
            locality = Locality.parse(text).orElseThrow(() -> workload.invalid("locality", text, Locality.EXPECTED));
        }
        return Optional.of(new ProxyBootstrap(meta,
                new ProxyBootstrap.Workload(workload.string("service"), workload.string("serviceAccount"), workload.strings("labels"),
                        locality),
                inbound, upstreams, new ProxyBootstrap.Admin(root.object("admin").integer("port"))));
    }

    /** The locality of a node as xDS writes it: empty parts for {@link Locality#NONE}. */
    public static io.envoyproxy.envoy.config.core.v3.Locality locality(Locality locality) {
        return io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                .setRegion(locality.region())
                .setZone(locality.zone())
                .setSubZone(locality.subZone())
                .build();
    }

    /** The locality xDS writes, as the model's. */
    public static Locality locality(io.envoyproxy.envoy.config.core.v3.Locality locality) {
        return new Locality(locality.getRegion(), locality.getZone(), locality.getSubZone());
    }

    private static ProxyBootstrap.Inbound inbound(Fields inbound) {
        String protocol = inbound.string("protocol");
        return new ProxyBootstrap.Inbound(inbound.integer("port"), inbound.integer("appPort"),
                Protocol.parse(protocol).orElseThrow(() -> inbound.invalid("protocol", protocol, "HTTP, HTTP2, GRPC or TCP")));
    }

    private static Map<String, Object> encode(ProxyBootstrap proxy) {
        Map<String, Object> root = new TreeMap<>();
        root.put("name", proxy.meta().name());
        root.put("namespace", proxy.meta().namespace());
        Map<String, Object> workload = new TreeMap<>(Map.of(
                "service", proxy.workload().service(),
                "serviceAccount", proxy.workload().serviceAccount(),
                "labels", proxy.workload().labels()));
        if (!proxy.workload().locality().isNone()) {
            workload.put("locality", proxy.workload().locality().toString());
        }
        root.put("workload", workload);
        proxy.inbound().ifPresent(in -> root.put("inbound", Map.of(
                "port", in.port(), "appPort", in.appPort(), "protocol", in.protocol().name())));
        root.put("upstreams", proxy.upstreams().stream()
                .map(u -> Map.of("service", u.service(), "port", u.port(), "bindPort", u.bindPort()))
                .toList());
        root.put("admin", Map.of("port", proxy.admin().port()));
        return root;
    }

    private static Value struct(Object value) {
        return switch (value) {
            case String s -> Value.newBuilder().setStringValue(s).build();
            case Integer i -> Value.newBuilder().setNumberValue(i).build();
            case Map<?, ?> map -> {
                Struct.Builder struct = Struct.newBuilder();
                new TreeMap<>(map).forEach((k, v) -> struct.putFields((String) k, struct(v)));
                yield Value.newBuilder().setStructValue(struct).build();
            }
            case List<?> list -> {
                ListValue.Builder values = ListValue.newBuilder();
                list.forEach(v -> values.addValues(struct(v)));
                yield Value.newBuilder().setListValue(values).build();
            }
            default -> throw new IllegalArgumentException("cannot encode " + value.getClass());
        };
    }

    /** Typed reads from a Struct, each failure naming the field's path. */
    private record Fields(String path, Value value) {
        Fields {
            if (!value.hasStructValue()) {
                throw new IllegalArgumentException("node metadata " + path + ": not an object");
            }
        }

        boolean has(String name) {
            return value.getStructValue().containsFields(name);
        }

        private Value field(String name, Value.KindCase kind, String expected) {
            Value field = value.getStructValue().getFieldsOrDefault(name, null);
            if (field == null || field.getKindCase() != kind) {
                throw invalid(name, field == null ? "missing" : field.toString().strip(), expected);
            }
            return field;
        }

        String string(String name) {
            return field(name, Value.KindCase.STRING_VALUE, "a string").getStringValue();
        }

        int integer(String name) {
            double number = field(name, Value.KindCase.NUMBER_VALUE, "a port number").getNumberValue();
            if (number != Math.rint(number) || number < 0 || number > 65535) {
                throw invalid(name, String.valueOf(number), "a port number, 0..65535");
            }
            return (int) number;
        }

        Fields object(String name) {
            return new Fields(path + "." + name, field(name, Value.KindCase.STRUCT_VALUE, "an object"));
        }

        List<Fields> list(String name) {
            List<Fields> items = new ArrayList<>();
            List<Value> values = field(name, Value.KindCase.LIST_VALUE, "a list").getListValue().getValuesList();
            for (int i = 0; i < values.size(); i++) {
                items.add(new Fields(path + "." + name + "[" + i + "]", values.get(i)));
            }
            return items;
        }

        Map<String, String> strings(String name) {
            Map<String, String> map = new TreeMap<>();
            Fields object = object(name);
            object.value().getStructValue().getFieldsMap().keySet().forEach(k -> map.put(k, object.string(k)));
            return map;
        }

        IllegalArgumentException invalid(String name, String given, String expected) {
            return new IllegalArgumentException(
                    "node metadata " + path + "." + name + ": " + given + " (expected: " + expected + ")");
        }
    }
}
