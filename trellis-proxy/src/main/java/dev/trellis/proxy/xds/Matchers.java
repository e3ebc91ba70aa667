package dev.trellis.proxy.xds;

import dev.trellis.proxy.route.RequestMatcher;
import dev.trellis.proxy.route.StringMatcher;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads Envoy's string, regex and header matchers into the proxy's, refusing what they cannot express. */
final class Matchers {
    private static final Set<String> HEADER_MATCHER = Set.of("name", "string_match");
    private static final Set<String> STRING_MATCHER = Set.of("exact", "prefix", "safe_regex", "ignore_case");
    private static final Set<String> REGEX = Set.of("regex", "google_re2");

    private final Refusals refusals;

    Matchers(Refusals refusals) {
        this.refusals = refusals;
    }

    /** A header condition, its name lower-cased as the proxy compares names. */
    RequestMatcher.HeaderCondition header(HeaderMatcher header, String where) {
        refusals.onlyFields(header, where, HEADER_MATCHER);
        return new RequestMatcher.HeaderCondition(header.getName().toLowerCase(Locale.ROOT),
                string(header.getStringMatch(), where + ".string_match"));
    }

    StringMatcher string(io.envoyproxy.envoy.type.matcher.v3.StringMatcher match, String where) {
        refusals.onlyFields(match, where, STRING_MATCHER);
        return switch (match.getMatchPatternCase()) {
            case EXACT -> StringMatcher.exact(match.getExact(), match.getIgnoreCase());
            case PREFIX -> StringMatcher.prefix(match.getPrefix(), match.getIgnoreCase());
            // As in Envoy, ignore_case has no effect on safe_regex: a regular expression says (?i) itself.
            case SAFE_REGEX -> regex(match.getSafeRegex(), where + ".safe_regex");
            default -> {
                refusals.add(where, match.getMatchPatternCase() + " (expected: exact, prefix or safe_regex)");
                yield v -> false;
            }
        };
    }

    /** The regular expression as a matcher of whole strings; null after refusing it. */
    StringMatcher regex(RegexMatcher regex, String where) {
        Pattern pattern = pattern(regex, where);
        return pattern == null ? null : StringMatcher.regex(pattern);
    }

    /** The regular expression; null after refusing it. */
    Pattern pattern(RegexMatcher regex, String where) {
        refusals.onlyFields(regex, where, REGEX);
        try {
            return Pattern.compile(regex.getRegex());
        } catch (PatternSyntaxException e) {
            refusals.add(where + ".regex", "\"" + regex.getRegex() + "\" is not a valid regular expression: " + e.getDescription());
            return null;
        }
    }
}
