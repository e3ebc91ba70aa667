package dev.trellis.proxy.route;

import java.time.Duration;
import java.util.Objects;

/**
 * Faults injected into a route's requests before they go upstream: Envoy's {@code HTTPFault}, which
 * Istio fills from a VirtualService route's {@code fault}. Delay and abort are drawn independently.
 *
 * @param delay a delay before the request is sent, or null
 * @param abort an answer given instead of sending the request, or null
 */
public record Fault(Delay delay, Abort abort) {
    public Fault {
        if (delay == null && abort == null) {
            throw new IllegalArgumentException("a fault needs a delay or an abort");
        }
    }

    /** @param percent the share of requests delayed, 0..100 */
    public record Delay(Duration fixed, double percent) {
        public Delay {
            Objects.requireNonNull(fixed, "fixed");
            Percent.check(percent);
        }
    }

    /**
     * @param httpStatus the HTTP status answered, or 0 when {@code grpcStatus} is set
     * @param grpcStatus the gRPC status answered (HTTP 200, {@code grpc-status} in trailers-only), or -1
     * @param percent the share of requests aborted, 0..100
     */
    public record Abort(int httpStatus, int grpcStatus, double percent) {
        public Abort {
            if ((httpStatus == 0) == (grpcStatus < 0)) {
                throw new IllegalArgumentException("an abort needs either an HTTP status or a gRPC status");
            }
            if (httpStatus != 0 && (httpStatus < 200 || httpStatus > 599)) {
                throw new IllegalArgumentException("httpStatus: " + httpStatus + " (expected: 200..599)");
            }
            Percent.check(percent);
        }
    }
}
