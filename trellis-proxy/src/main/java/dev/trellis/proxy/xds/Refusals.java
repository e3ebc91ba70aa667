package dev.trellis.proxy.xds;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MessageOrBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the adapter cannot honour, collected whole so that one NACK lists every reason. Each
 * problem names the resource and the field path ({@code Cluster outbound|80||x: circuit_breakers}).
 * A field outside the supported list is refused rather than ignored: ignoring it would run a
 * configuration other than the one sent.
 */
final class Refusals {
    private final List<String> problems = new ArrayList<>();

    void add(String where, String problem) {
        problems.add(where + ": " + problem);
    }

    /** Refuses every field set on {@code message} that is not in {@code supported}, and any unknown field. */
    void onlyFields(MessageOrBuilder message, String where, Set<String> supported) {
        for (FieldDescriptor field : message.getAllFields().keySet()) {
            if (!supported.contains(field.getName())) {
                add(at(where, field.getName()), "not supported by Trellis (expected: unset)");
            }
        }
        if (!message.getUnknownFields().asMap().isEmpty()) {
            add(where, "fields unknown to Trellis's xDS API version: " + message.getUnknownFields().asMap().keySet());
        }
    }

    /**
     * The path of a field below {@code where}: {@code Cluster x} and {@code lb_policy} make
     * {@code Cluster x: lb_policy}; {@code Cluster x: load_assignment} and {@code endpoints[0]}
     * make {@code Cluster x: load_assignment.endpoints[0]}.
     */
    static String at(String where, String field) {
        return where.contains(": ") ? where + "." + field : where + ": " + field;
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    int count() {
        return problems.size();
    }

    List<String> problems() {
        return List.copyOf(problems);
    }
}
