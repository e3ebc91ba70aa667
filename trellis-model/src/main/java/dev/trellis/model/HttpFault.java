package dev.trellis.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Faults injected into a route's requests: Istio's {@code HTTPFaultInjection}. Delay and abort are
 * drawn apart; a request may get both.
 */
public record HttpFault(Optional<Delay> delay, Optional<Abort> abort) {
    public HttpFault {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(abort, "abort");
        if (delay.isEmpty() && abort.isEmpty()) {
            throw new IllegalArgumentException("a fault needs a delay or an abort");
        }
    }

    /**
     * A wait before the request goes upstream.
     *
     * @param percent the share of requests delayed, 0..100 (none when the document gives no share, as in Istio)
     */
    public record Delay(Duration fixed, double percent) {
        public Delay {
            Objects.requireNonNull(fixed, "fixed");
            Percents.check("percent", percent);
        }
    }

    /** An answer given instead of sending the request upstream. */
    public sealed interface Abort {
        /** The share of requests aborted, 0..100 (none when the document gives no share, as in Istio). */
        double percent();

        /** An HTTP status, 200..599. */
        record Http(int status, double percent) implements Abort {
            public Http {
                if (status < 200 || status > 599) {
                    throw new IllegalArgumentException("status: " + status + " (expected: 200..599)");
                }
                Percents.check("percent", percent);
            }
        }

        /** A gRPC status code, 0..16, sent as a gRPC error (HTTP 200 with {@code grpc-status}). */
        record Grpc(int code, double percent) implements Abort {
            public Grpc {
                if (code < 0 || code > 16) {
                    throw new IllegalArgumentException("code: " + code + " (expected: 0..16)");
                }
                Percents.check("percent", percent);
            }
        }
    }
}
