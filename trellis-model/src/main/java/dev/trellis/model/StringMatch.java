package dev.trellis.model;

import java.util.Objects;

/** How a string (path, method, header value, authority) is matched: Istio's StringMatch. */
public sealed interface StringMatch {
    String value();

    /** The whole string equals {@code value}. */
    record Exact(String value) implements StringMatch {
        public Exact {
            Objects.requireNonNull(value, "value");
        }
    }

    /** The string starts with {@code value}. */
    record Prefix(String value) implements StringMatch {
        public Prefix {
            Objects.requireNonNull(value, "value");
        }
    }

    /** The whole string matches the regular expression {@code value} (java.util.regex syntax, which accepts the common RE2 forms). */
    record Regex(String value) implements StringMatch {
        public Regex {
            Objects.requireNonNull(value, "value");
        }
    }
}
