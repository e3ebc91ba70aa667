package dev.trellis.xds;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import java.util.Optional;

/**
 * Trellis's own load-balancing policy in Envoy's {@code load_balancing_policy}: peak-EWMA
 * power-of-two-choices, Linkerd's balancer, which Envoy has no extension for. It travels as a
 * {@code TypedStruct} of type {@value #TYPE_URL} with an empty value (the proxy's defaults: a 10 s
 * decay, 30 ms assumed until measured). A client that does not know it takes the next policy of
 * the list, as {@code load_balancing_policy} lets it.
 */
public final class PeakEwmaPolicy {
    /** The extension's name, for operators; clients match on the type. */
    public static final String NAME = "trellis.load_balancing_policies.peak_ewma";
    public static final String TYPE_URL = "type.googleapis.com/trellis.lb.v1.PeakEwma";

    private PeakEwmaPolicy() {}

    /** The typed config: a TypedStruct naming the policy, with no settings. */
    public static Any typedConfig() {
        return Any.pack(TypedStruct.newBuilder().setTypeUrl(TYPE_URL).setValue(Struct.getDefaultInstance()).build());
    }

    /** The settings of a typed config that is this policy; empty when it is another. */
    public static Optional<Struct> settings(Any typedConfig) {
        if (!typedConfig.is(TypedStruct.class)) {
            return Optional.empty();
        }
        try {
            TypedStruct typed = typedConfig.unpack(TypedStruct.class);
            return typed.getTypeUrl().equals(TYPE_URL) ? Optional.of(typed.getValue()) : Optional.empty();
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }
}
