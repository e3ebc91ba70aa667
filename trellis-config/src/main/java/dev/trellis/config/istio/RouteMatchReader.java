package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.StringMatch;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads one match condition of an HTTP route, and the string matches inside it. */
final class RouteMatchReader {
    private static final Fields MATCH = Fields.of("name", "uri", "method", "authority", "headers", "ignoreUriCase")
            .notImplemented("scheme", "port", "queryParams", "withoutHeaders", "sourceLabels", "sourceNamespace",
                    "gateways", "statPrefix");
    private static final Fields STRING_MATCH = Fields.of("exact", "prefix", "regex");
    private static final String EXACTLY_ONE = "exactly one of exact, prefix, regex";

    private RouteMatchReader() {}

    static Optional<RouteMatch> read(Node match) {
        if (!match.isRequiredObject(MATCH)) {
            return Optional.empty();
        }
        match.get("name").string("a string"); // Istio only uses it in logs: accepted, not kept
        Optional<StringMatch> uri = stringMatch(match.get("uri"));
        Optional<StringMatch> method = stringMatch(match.get("method"));
        Optional<StringMatch> authority = stringMatch(match.get("authority"));
        Map<String, StringMatch> headers = new LinkedHashMap<>();
        match.get("headers").entries("header names to string matches").forEach((key, value) -> {
            Optional<String> name = Names.headerName(key, value);
            if (!value.isPresent()) {
                value.missing(EXACTLY_ONE);
            }
            Optional<StringMatch> m = stringMatch(value);
            if (name.isPresent() && m.isPresent() && headers.putIfAbsent(name.get(), m.get()) != null) {
                value.report("\"" + key + "\" (expected: a header name not matched twice, in any case)");
            }
        });
        boolean ignoreUriCase = match.get("ignoreUriCase").bool().orElse(false);
        return Optional.of(new RouteMatch(uri, method, authority, headers, ignoreUriCase));
    }

    private static Optional<StringMatch> stringMatch(Node n) {
        if (!n.isObject(STRING_MATCH)) {
            return Optional.empty();
        }
        return n.exactlyOneOf(STRING_MATCH).flatMap(kind -> {
            Node value = n.get(kind);
            return value.string("a string").flatMap(s -> switch (kind) {
                case "exact" -> Optional.of(new StringMatch.Exact(s));
                case "prefix" -> Optional.of(new StringMatch.Prefix(s));
                default -> regex(value, s);
            });
        });
    }

    /**
     * A regular expression both in RE2's syntax, which Envoy and gRPC clients run (as Istio
     * requires), and in java.util.regex's, which Trellis proxies run: lookarounds and
     * backreferences, which only Java reads, are refused here rather than NACKed by a client later.
     */
    private static Optional<StringMatch> regex(Node n, String regex) {
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            n.problem("a valid regular expression; " + e.getDescription() + " near index " + e.getIndex());
            return Optional.empty();
        }
        try {
            com.google.re2j.Pattern.compile(regex);
        } catch (com.google.re2j.PatternSyntaxException e) {
            n.problem("a regular expression in RE2 syntax, as Envoy and gRPC read it; " + e.getDescription());
            return Optional.empty();
        }
        return Optional.of(new StringMatch.Regex(regex));
    }
}
