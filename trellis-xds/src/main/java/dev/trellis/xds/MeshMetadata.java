package dev.trellis.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import dev.trellis.model.RetryBudget;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What Trellis keeps in Envoy's {@code metadata.filter_metadata["trellis"]}: facts that routing does
 * not need but telemetry and operators do, such as the service a cluster belongs to (for Istio's
 * {@code destination_service} label), an endpoint's labels, and the document a route came from; and
 * settings Envoy has no field for, such as a cluster's Linkerd-style retry budget.
 */
public final class MeshMetadata {
    public static final String NAMESPACE = "trellis";
    /** The fully qualified host of the service behind a cluster or an outbound listener. */
    public static final String SERVICE = "service";
    /** An endpoint's labels. */
    public static final String LABELS = "labels";
    /** The document a resource was built from, such as {@code VirtualService default/catalog}. */
    public static final String CONFIG = "config";
    /**
     * A cluster's retry budget in Linkerd's model (a {@code RetryBudget} document), an object of
     * {@value #RETRY_RATIO} (number), {@value #MIN_RETRIES_PER_SECOND} (whole number) and
     * {@value #TTL} (a duration as proto3 JSON writes one, such as {@code "10s"}).
     */
    public static final String RETRY_BUDGET = "retryBudget";
    public static final String RETRY_RATIO = "retryRatio";
    public static final String MIN_RETRIES_PER_SECOND = "minRetriesPerSecond";
    public static final String TTL = "ttl";

    private MeshMetadata() {}

    public static Metadata of(String key, String value) {
        return wrap(Struct.newBuilder().putFields(key, string(value)).build());
    }

    /** A cluster's metadata: its service, and its retry budget when it has one. */
    public static Metadata cluster(String service, Optional<RetryBudget> budget) {
        Struct.Builder ours = Struct.newBuilder().putFields(SERVICE, string(service));
        budget.ifPresent(b -> ours.putFields(RETRY_BUDGET, Value.newBuilder().setStructValue(Struct.newBuilder()
                .putFields(RETRY_RATIO, Value.newBuilder().setNumberValue(b.retryRatio()).build())
                .putFields(MIN_RETRIES_PER_SECOND, Value.newBuilder().setNumberValue(b.minRetriesPerSecond()).build())
                .putFields(TTL, string(Durations.toString(Durations.fromNanos(b.ttl().toNanos())))))
                .build()));
        return wrap(ours.build());
    }

    /** The object under {@code key} in Trellis's metadata, if there is one; whatever else is there, empty. */
    public static Optional<Value> value(Metadata metadata, String key) {
        Struct ours = metadata.getFilterMetadataOrDefault(NAMESPACE, Struct.getDefaultInstance());
        return Optional.ofNullable(ours.getFieldsOrDefault(key, null));
    }

    public static Metadata labels(Map<String, String> labels) {
        Struct.Builder struct = Struct.newBuilder();
        new TreeMap<>(labels).forEach((k, v) -> struct.putFields(k, string(v)));
        return wrap(Struct.newBuilder()
                .putFields(LABELS, Value.newBuilder().setStructValue(struct).build())
                .build());
    }

    /** The string under {@code key} in Trellis's metadata, if there is one. */
    public static Optional<String> string(Metadata metadata, String key) {
        Struct ours = metadata.getFilterMetadataOrDefault(NAMESPACE, Struct.getDefaultInstance());
        Value value = ours.getFieldsOrDefault(key, null);
        return value != null && value.hasStringValue() ? Optional.of(value.getStringValue()) : Optional.empty();
    }

    /** The labels in Trellis's metadata; empty when there are none. */
    public static Map<String, String> labels(Metadata metadata) {
        Struct ours = metadata.getFilterMetadataOrDefault(NAMESPACE, Struct.getDefaultInstance());
        Value value = ours.getFieldsOrDefault(LABELS, null);
        Map<String, String> labels = new TreeMap<>();
        if (value != null && value.hasStructValue()) {
            value.getStructValue().getFieldsMap().forEach((k, v) -> labels.put(k, v.getStringValue()));
        }
        return labels;
    }

    private static Metadata wrap(Struct struct) {
        return Metadata.newBuilder().putFilterMetadata(NAMESPACE, struct).build();
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
