package dev.trellis.cli.demo;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads durations the way people type them on a command line: {@code 90}, {@code 10s}, {@code 1m30s}, {@code 500ms}. */
public final class Durations {
    private static final Pattern PLAIN_SECONDS = Pattern.compile("\\d{1,9}");
    private static final Pattern PARTS = Pattern.compile("(?:\\d{1,9}(?:ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    private Durations() {}

    /** The duration {@code text} says, or empty when it is not one. */
    public static Optional<Duration> parse(String text) {
        String trimmed = text.strip().toLowerCase(Locale.ROOT);
        if (PLAIN_SECONDS.matcher(trimmed).matches()) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(trimmed)));
        }
        if (!PARTS.matcher(trimmed).matches()) {
            return Optional.empty();
        }
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(trimmed);
        while (part.find()) {
            long n = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
        }
        return Optional.of(total);
    }

    /** {@code 1m30s}, {@code 10s}, {@code 2.5s}: short, and what {@link #parse} reads back where whole. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 1000 != 0) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        long seconds = millis / 1000;
        StringBuilder out = new StringBuilder();
        if (seconds >= 3600) {
            out.append(seconds / 3600).append('h');
        }
        if (seconds % 3600 >= 60) {
            out.append(seconds % 3600 / 60).append('m');
        }
        if (seconds % 60 != 0 || out.isEmpty()) {
            out.append(seconds % 60).append('s');
        }
        return out.toString();
    }
}
