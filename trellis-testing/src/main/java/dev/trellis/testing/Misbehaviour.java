package dev.trellis.testing;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How an {@link HttpEchoServer} departs from plain echoing (and the headers of the last echo it
 * answered, for tests of what reached it), changeable while it runs: it may answer
 * a share of its requests with an error status, or answer everything late. Shared by every
 * connection of the server.
 */
final class Misbehaviour {
    private volatile int failStatus;
    private volatile int failEvery;
    private volatile long extraDelayMillis;
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile java.util.Map<String, String> lastHeaders = java.util.Map.of();

    long failuresAnswered() {
        return failed.get();
    }

    java.util.Map<String, String> lastHeaders() {
        return lastHeaders;
    }

    void failing(int status, int every) {
        failEvery = every;
        failStatus = status;
    }

    void slowedBy(long millis) {
        extraDelayMillis = millis;
    }

    /** The request as this server answers it now: its own route, an error, or later. */
    EchoRequest apply(EchoRequest request) {
        lastHeaders = request.headers();
        int status = failStatus;
        answered.incrementAndGet();
        if (status != 0 && (failEvery == 1 || java.util.concurrent.ThreadLocalRandom.current().nextInt(failEvery) == 0)) {
            failed.incrementAndGet();
            return request.withRoute(new EchoRoute.Status(status));
        }
        long extra = extraDelayMillis;
        if (extra > 0) {
            long asked = request.route() instanceof EchoRoute.Delay delay ? delay.millis() : 0;
            return request.withRoute(new EchoRoute.Delay(asked + extra));
        }
        return request;
    }
}
