package dev.trellis.testing;

import java.util.Map;

/** Just enough JSON writing for the echo bodies, so this module needs no JSON library. */
final class Json {

    private Json() {
    }

    /** Appends {@code value} as a quoted JSON string, escaping what RFC 8259 requires. */
    static StringBuilder string(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    /** Appends a JSON object whose members are the map's entries, in the map's order. */
    static StringBuilder object(StringBuilder out, Map<String, String> members) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, String> e : members.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, e.getKey()).append(':');
            string(out, e.getValue());
        }
        return out.append('}');
    }
}
