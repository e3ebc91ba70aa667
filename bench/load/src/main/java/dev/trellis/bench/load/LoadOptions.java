package dev.trellis.bench.load;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * What one run of {@link FixedRateLoad} does, as read from its command line.
 *
 * @param host        the target's host (an IP address or name)
 * @param port        the target's port
 * @param path        the request target of every GET
 * @param rate        the requests to start per second, all connections together
 * @param connections keep-alive connections, opened before the run and reopened when one closes
 * @param warmupNanos how long the load runs before anything is recorded
 * @param durationNanos how long the recorded part lasts, in intended start times
 * @param timeoutNanos how long a sent request may wait for its whole response before it counts as
 *                    failed and its connection is closed; also how long the run may go on after
 *                    its last intended start, to finish what is in flight and behind
 */
record LoadOptions(String host, int port, String path, Schedule rate, int connections, long warmupNanos,
                   long durationNanos, long timeoutNanos) {

    static final int MAX_CONNECTIONS = 10_000;

    static final String USAGE = """
            usage: java -jar load.jar --url http://HOST:PORT/PATH --rate N [--connections C]
                                      [--duration S] [--warmup S] [--timeout S]

            Sends GET requests at a fixed rate (N per second, all connections together) over C
            HTTP/1.1 keep-alive connections (default 16), for S seconds of warm-up (default 2), not
            recorded, then S seconds recorded (--duration, default 10); stops by itself. Each
            request's latency runs from the time the schedule meant it to start, not from the time it
            went out: a request that is due while every connection still waits for an answer waits
            for the first free one, and that wait counts. Nothing is sent twice. A request with no
            whole answer within --timeout S of going out (default 5) fails, and its connection is
            closed and opened again.

            Prints the last line as: result key=value ..., with p50_ms, p99_ms, p999_ms, max_ms,
            achieved_rps, answered, errors (non-200 answers and failures), and the warm-up's counts.
            """;

    LoadOptions {
        if (connections < 1 || connections > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("--connections: " + connections + " (expected: 1.." + MAX_CONNECTIONS + ")");
        }
        if (durationNanos <= 0) {
            throw new IllegalArgumentException("--duration: must be more than 0 seconds");
        }
        if (warmupNanos + durationNanos > Schedule.MAX_RUN_NANOS) {
            throw new IllegalArgumentException("--warmup + --duration: " + (warmupNanos + durationNanos) / 1e9
                    + " s (expected: at most " + Schedule.MAX_RUN_NANOS / 1_000_000_000L + " s)");
        }
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("--timeout: must be more than 0 seconds");
        }
    }

    /**
     * Reads the command line.
     *
     * @throws IllegalArgumentException naming the option, what it was given and what it expects
     */
    static LoadOptions parse(List<String> args) {
        String url = null;
        Long rate = null;
        int connections = 16;
        long warmup = seconds("--warmup", "2");
        long duration = seconds("--duration", "10");
        long timeout = seconds("--timeout", "5");
        for (int i = 0; i < args.size(); i += 2) {
            String option = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(option + ": no value (expected: " + option + " VALUE)");
            }
            String value = args.get(i + 1);
            switch (option) {
                case "--url" -> url = value;
                case "--rate" -> rate = integer(option, value);
                case "--connections" -> connections = connections(value);
                case "--warmup" -> warmup = seconds(option, value);
                case "--duration" -> duration = seconds(option, value);
                case "--timeout" -> timeout = seconds(option, value);
                default -> throw new IllegalArgumentException("unknown option: '" + option
                        + "' (expected: --url, --rate, --connections, --duration, --warmup or --timeout)");
            }
        }
        if (url == null || rate == null) {
            throw new IllegalArgumentException("--url and --rate are required");
        }
        URI uri = uri(url);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        if (rate < 1 || rate > Schedule.MAX_RATE) {
            throw new IllegalArgumentException("--rate: " + rate + " (expected: 1.." + Schedule.MAX_RATE + " requests/s)");
        }
        return new LoadOptions(uri.getHost(), uri.getPort(), path, new Schedule(rate), connections, warmup, duration,
                timeout);
    }

    private static URI uri(String url) {
        try {
            URI uri = new URI(url);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1) {
                throw new IllegalArgumentException("--url: '" + url + "' (expected: http://HOST:PORT/PATH)");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--url: '" + url + "' (expected: http://HOST:PORT/PATH): " + e.getMessage(), e);
        }
    }

    private static int connections(String value) {
        long connections = integer("--connections", value);
        if (connections < 1 || connections > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("--connections: " + value + " (expected: 1.." + MAX_CONNECTIONS + ")");
        }
        return (int) connections;
    }

    private static long integer(String option, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + value + "' (expected: a whole number)", e);
        }
    }

    /** Seconds, whole or decimal ({@code 2}, {@code 0.5}), as nanoseconds. */
    private static long seconds(String option, String value) {
        try {
            BigDecimal seconds = new BigDecimal(value);
            if (seconds.signum() < 0 || seconds.compareTo(BigDecimal.valueOf(Schedule.MAX_RUN_NANOS / 1_000_000_000L)) > 0) {
                throw new NumberFormatException("out of range");
            }
            return seconds.movePointRight(9).longValue();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + value + "' (expected: seconds, 0 to "
                    + Schedule.MAX_RUN_NANOS / 1_000_000_000L + ", e.g. 5 or 0.5)", e);
        }
    }

    /** The Host header's value. */
    String authority() {
        return host + ":" + port;
    }
}
