package dev.trellis.proxy.route;

import dev.trellis.model.StringMatch;
import java.util.regex.Pattern;

/** A compiled {@link StringMatch}. */
interface StringMatcher {
    boolean matches(String value);

    /** The literal prefix this matcher strips on a uri rewrite, or null when it replaces the whole path. */
    default String rewritablePrefix() {
        return null;
    }

    static StringMatcher of(StringMatch match, boolean ignoreCase) {
        return switch (match) {
            case StringMatch.Exact e -> ignoreCase
                    ? v -> v.equalsIgnoreCase(e.value())
                    : v -> v.equals(e.value());
            case StringMatch.Prefix p -> new StringMatcher() {
                @Override
                public boolean matches(String value) {
                    return value.regionMatches(ignoreCase, 0, p.value(), 0, p.value().length());
                }

                @Override
                public String rewritablePrefix() {
                    return p.value();
                }
            };
            case StringMatch.Regex r -> {
                Pattern pattern = Pattern.compile(r.value(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
                yield v -> pattern.matcher(v).matches();
            }
        };
    }
}
