package dev.trellis.config.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written the way Go and Istio write them: a sequence of decimal numbers, each with a
 * unit, such as {@code 10s}, {@code 1.5h}, {@code 1h30m} or {@code 250ms}.
 */
public final class Durations {
    public static final String EXPECTED = "a duration such as 10s, 1m, 1h30m or 0s";

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ns", 1L,
            "us", 1_000L,
            "µs", 1_000L,
            "μs", 1_000L,
            "ms", 1_000_000L,
            "s", 1_000_000_000L,
            "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);

    private Durations() {}

    /** The non-negative duration {@code text} stands for; empty when it is not one. */
    public static Optional<Duration> parse(String text) {
        if (text.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        Matcher m = PART.matcher(text);
        BigDecimal nanos = BigDecimal.ZERO;
        int end = 0;
        while (end < text.length() && m.find(end) && m.start() == end) {
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(m.group(2)))));
            end = m.end();
        }
        if (end == 0 || end != text.length()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Duration.ofNanos(nanos.longValueExact()));
        } catch (ArithmeticException tooLongOrFractionalNanos) {
            return Optional.empty();
        }
    }

    /**
     * The duration in {@code n} when present: {@code min} or more and in whole milliseconds, as Istio
     * requires of a route's durations, or 0 when {@code zeroAllowed} (a 0 that says "none").
     */
    public static Optional<Duration> atLeast(Node n, Duration min, boolean zeroAllowed) {
        String expected = (zeroAllowed ? "0s (none), or " : "") + "a duration of " + text(min)
                + " or more, in whole milliseconds";
        Optional<String> text = n.string(expected);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Optional<Duration> duration = parse(text.get());
        boolean valid = duration.isPresent() && (duration.get().isZero()
                ? zeroAllowed
                : duration.get().compareTo(min) >= 0 && duration.get().getNano() % 1_000_000 == 0);
        if (!valid) {
            n.problem(expected);
            return Optional.empty();
        }
        return duration;
    }

    /** Like {@link #atLeast} but reports an absent value too. */
    public static Optional<Duration> requiredAtLeast(Node n, Duration min) {
        if (!n.isPresent()) {
            n.missing("a duration of " + text(min) + " or more, in whole milliseconds");
            return Optional.empty();
        }
        return atLeast(n, min, false);
    }

    /** {@code 50ms} or {@code 2s}: a duration the way documents write it, for messages. */
    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** The duration in {@code n}; empty when absent, reporting one that is not a duration. */
    public static Optional<Duration> optional(Node n) {
        return n.isPresent() ? required(n) : Optional.empty();
    }

    /**
     * The duration in {@code n}, when absent empty, reporting one that is not a whole number of
     * milliseconds of at least 1 ms: what Istio accepts for its timeouts and intervals.
     */
    public static Optional<Duration> millis(Node n) {
        return atLeast(n, Duration.ofMillis(1), false);
    }

    /** The duration in {@code n}, reporting one that is absent or not a duration. */
    public static Optional<Duration> required(Node n) {
        Optional<String> text = n.requiredString(EXPECTED);
        Optional<Duration> duration = text.flatMap(Durations::parse);
        if (text.isPresent() && duration.isEmpty()) {
            n.problem(EXPECTED);
        }
        return duration;
    }
}
