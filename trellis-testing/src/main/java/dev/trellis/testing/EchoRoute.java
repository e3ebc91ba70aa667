package dev.trellis.testing;

/**
 * What a request path asks of {@link HttpEchoServer}: {@code /status/NNN}, {@code /delay/MS},
 * {@code /bytes/N}, {@code /hold}, {@code /reset-after-headers}, {@code /reset-mid-body/N}, or
 * (any other path) a plain echo. The query string is ignored for matching.
 */
sealed interface EchoRoute {

    /** Longest delay {@code /delay/MS} accepts: one hour, in milliseconds. */
    long MAX_DELAY_MILLIS = 3_600_000;
    /** Largest body {@code /bytes/N} sends: 1 TiB. */
    long MAX_BYTES = 1L << 40;
    /** Most body bytes {@code /reset-mid-body/N} sends before the reset: 16 MiB. */
    long MAX_BYTES_BEFORE_RESET = 16L << 20;

    /** Answer 200 with the echo body. */
    record Echo() implements EchoRoute {
    }

    /** Answer {@code code} (200..599) with the echo body. */
    record Status(int code) implements EchoRoute {
    }

    /** Answer 200 with the echo body, {@code millis} milliseconds after the request ends. */
    record Delay(long millis) implements EchoRoute {
    }

    /** Answer 200 with a {@code count}-byte body, streamed. */
    record Bytes(long count) implements EchoRoute {
    }

    /** Answer 200 with the echo body when the test releases it ({@link HttpEchoServer#releaseHeld()}). */
    record Hold() implements EchoRoute {
    }

    /**
     * Send the head of a 200 response, then {@code bodyBytes} bytes of its body, then reset: the
     * connection (HTTP/1, with an RST) or the stream (HTTP/2, with RST_STREAM).
     */
    record Reset(long bodyBytes) implements EchoRoute {
    }

    /** Answer 400 with {@code message}; the request asked for something this server cannot do. */
    record Invalid(String message) implements EchoRoute {
    }

    /** Reads the route out of a request target (origin-form {@code /a?b} or absolute-form {@code http://h/a?b}). */
    static EchoRoute parse(String requestTarget) {
        String path = path(requestTarget);
        if (path.equals("/hold")) {
            return new Hold();
        }
        if (path.equals("/reset-after-headers")) {
            return new Reset(0);
        }
        String[] segments = path.split("/", -1);
        if (segments.length != 3 || !segments[0].isEmpty()) {
            return new Echo();
        }
        String argument = segments[2];
        return switch (segments[1]) {
            case "status" -> {
                long code = number(argument, 200, 599);
                yield code < 0 ? invalid("status", argument, "an HTTP status 200..599") : new Status((int) code);
            }
            case "delay" -> {
                long millis = number(argument, 0, MAX_DELAY_MILLIS);
                yield millis < 0
                        ? invalid("delay", argument, "milliseconds 0.." + MAX_DELAY_MILLIS)
                        : new Delay(millis);
            }
            case "bytes" -> {
                long count = number(argument, 0, MAX_BYTES);
                yield count < 0 ? invalid("bytes", argument, "a byte count 0.." + MAX_BYTES) : new Bytes(count);
            }
            case "reset-mid-body" -> {
                long count = number(argument, 1, MAX_BYTES_BEFORE_RESET);
                yield count < 0
                        ? invalid("reset-mid-body", argument, "a byte count 1.." + MAX_BYTES_BEFORE_RESET)
                        : new Reset(count);
            }
            default -> new Echo();
        };
    }

    private static String path(String requestTarget) {
        String path = requestTarget;
        int scheme = path.indexOf("://");
        if (!path.startsWith("/") && scheme > 0) {
            int slash = path.indexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        int end = path.length();
        int query = path.indexOf('?');
        int fragment = path.indexOf('#');
        if (query >= 0) {
            end = query;
        }
        if (fragment >= 0 && fragment < end) {
            end = fragment;
        }
        return path.substring(0, end);
    }

    /** The decimal number {@code text} if it lies in {@code min..max}, else -1. */
    private static long number(String text, long min, long max) {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        long value = Long.parseLong(text);
        return value >= min && value <= max ? value : -1;
    }

    private static Invalid invalid(String what, String given, String expected) {
        return new Invalid(what + ": '" + given + "' (expected: " + expected + ")");
    }
}
