package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.HeaderOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads Istio's {@code headers}: mutations of the request and of the response. */
final class HeadersReader {
    private static final Fields HEADERS = Fields.of("request", "response");
    private static final Fields OPERATIONS = Fields.of("set", "add", "remove");

    /** The request and response mutations of a route or a destination. */
    record Headers(HeaderOps request, HeaderOps response) {
        static final Headers NONE = new Headers(HeaderOps.NONE, HeaderOps.NONE);
    }

    private HeadersReader() {}

    static Headers read(Node headers) {
        if (!headers.isObject(HEADERS)) {
            return Headers.NONE;
        }
        return new Headers(operations(headers.get("request")), operations(headers.get("response")));
    }

    private static HeaderOps operations(Node ops) {
        if (!ops.isObject(OPERATIONS)) {
            return HeaderOps.NONE;
        }
        List<String> remove = new ArrayList<>();
        for (Node name : ops.get("remove").list("header names")) {
            name.requiredString("a header name").flatMap(s -> Names.headerName(s, name)).ifPresent(remove::add);
        }
        return new HeaderOps(values(ops.get("set")), values(ops.get("add")), remove);
    }

    private static Map<String, String> values(Node map) {
        Map<String, String> values = new LinkedHashMap<>();
        map.entries("header names to values").forEach((key, value) -> {
            if (!value.isPresent()) {
                value.missing("a string");
            }
            Optional<String> name = Names.headerName(key, value);
            Optional<String> text = value.string("a string");
            if (name.isPresent() && text.isPresent() && values.putIfAbsent(name.get(), text.get()) != null) {
                value.report("\"" + key + "\" (expected: a header name not given twice, in any case)");
            }
        });
        return values;
    }
}
