package dev.trellis.proxy.xds;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

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

    /**
     * Refuses every field set on {@code message} that is not in {@code supported}, and any field
     * unknown to this version of the Envoy API. The fields set are read off the message's own wire
     * form rather than by reflection: reflection would load the classes of every field type of
     * every message checked (hundreds of Envoy's), which a proxy would then carry for nothing.
     */
    void onlyFields(Message message, String where, Set<String> supported) {
        Descriptors.Descriptor type = message.getDescriptorForType();
        Set<Integer> unknown = new TreeSet<>();
        for (int number : fieldNumbers(message)) {
            Descriptors.FieldDescriptor field = type.findFieldByNumber(number);
            if (field == null) {
                unknown.add(number);
            } else if (!supported.contains(field.getName())) {
                add(at(where, field.getName()), "not supported by Trellis (expected: unset)");
            }
        }
        if (!unknown.isEmpty()) {
            add(where, "fields unknown to Trellis's xDS API version: " + unknown);
        }
    }

    /** The numbers of the fields a message has set: those its wire form carries, in order, once each. */
    private static Set<Integer> fieldNumbers(Message message) {
        Set<Integer> numbers = new LinkedHashSet<>();
        try {
            CodedInputStream in = CodedInputStream.newInstance(message.toByteArray());
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                numbers.add(WireFormat.getTagFieldNumber(tag));
                in.skipField(tag);
            }
        } catch (IOException e) {
            throw new IllegalStateException("a message's own wire form does not read back", e);
        }
        return numbers;
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
