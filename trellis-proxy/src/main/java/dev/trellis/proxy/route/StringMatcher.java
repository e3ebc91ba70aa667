package dev.trellis.proxy.route;

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

    /** The whole string matches the regular expression (java.util.regex, which reads the common RE2 forms). */
    static StringMatcher regex(Pattern pattern) {
        return v -> pattern.matcher(v).matches();
    }
}
