package dev.trellis.proxy.route;

import java.util.regex.Pattern;

/** How a route rewrites the request target before forwarding; the query string always stays. */
public sealed interface PathRewrite {
    String apply(String target);

    /** Swaps the prefix a prefix condition matched for {@code replacement} (Envoy's {@code prefix_rewrite}). */
    record Prefix(String matchedPrefix, String replacement) implements PathRewrite {
        @Override
        public String apply(String target) {
            return replacement + target.substring(Math.min(matchedPrefix.length(), target.length()));
        }
    }

    /** Replaces the whole path, as {@code prefix_rewrite} does after an exact path condition. */
    record Path(String replacement) implements PathRewrite {
        @Override
        public String apply(String target) {
            int query = target.indexOf('?');
            return query < 0 ? replacement : replacement + target.substring(query);
        }
    }

    /**
     * Replaces every match of {@code pattern} in the path (Envoy's {@code regex_rewrite}).
     *
     * @param replacement in java.util.regex's form; see {@link #of}
     */
    record Regex(Pattern pattern, String replacement) implements PathRewrite {
        /** @param substitution refers to groups as {@code \1}, as RE2 does */
        public static Regex of(Pattern pattern, String substitution) {
            return new Regex(pattern, javaReplacement(substitution));
        }

        @Override
        public String apply(String target) {
            int query = target.indexOf('?');
            String path = query < 0 ? target : target.substring(0, query);
            String rewritten = pattern.matcher(path).replaceAll(replacement);
            return query < 0 ? rewritten : rewritten + target.substring(query);
        }

        /** RE2's {@code \1} becomes Java's {@code $1}; anything else is literal. */
        static String javaReplacement(String re2) {
            StringBuilder out = new StringBuilder(re2.length() + 8);
            for (int i = 0; i < re2.length(); i++) {
                char c = re2.charAt(i);
                char next = i + 1 < re2.length() ? re2.charAt(i + 1) : 0;
                if (c == '\\' && Character.isDigit(next)) {
                    out.append('$').append(next);
                    i++;
                } else if (c == '\\') {
                    out.append("\\\\"); // a literal backslash, written \\ or alone
                    i += next == '\\' ? 1 : 0;
                } else if (c == '$') {
                    out.append("\\$");
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
