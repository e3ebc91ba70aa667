package dev.trellis.proxy.route;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A condition on one string: a path, a method, a header value or an authority. */
public interface StringMatcher {
    boolean matches(String value);

    /** The literal prefix a prefix matcher requires, or null for other matchers. */
    default String prefix() {
        return null;
    }

    static StringMatcher exact(String expected, boolean ignoreCase) {
        return ignoreCase ? v -> v.equalsIgnoreCase(expected) : v -> v.equals(expected);
    }

    static StringMatcher prefix(String expected, boolean ignoreCase) {
        return new StringMatcher() {
            @Override
            public boolean matches(String value) {
                return value.regionMatches(ignoreCase, 0, expected, 0, expected.length());
            }

            @Override
            public String prefix() {
                return expected;
            }
        };
    }

    /**
     * The whole string matches the regular expression (java.util.regex, which reads the common RE2
     * forms). Each thread keeps one {@link Matcher} per expression and resets it for each string:
     * routes are shared by every event loop, and a new matcher per try was ~140 bytes of garbage.
     */
    static StringMatcher regex(Pattern pattern) {
        // A plain ThreadLocal, not Netty's FastThreadLocal: routes are rebuilt on every update, and
        // a FastThreadLocal's slot in each thread is never given back.
        ThreadLocal<Matcher> matchers = ThreadLocal.withInitial(() -> pattern.matcher(""));
        return v -> matchers.get().reset(v).matches();
    }
}
