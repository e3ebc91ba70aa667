package dev.trellis.proxy.telemetry;

/**
 * Why a request ended the way it did, beyond its status: Envoy's response flags, by their short
 * names, as Istio's access logs and the {@code response_flags} metric label show them.
 */
public enum ResponseFlag {
    /** No route matched. */
    NO_ROUTE("NR"),
    /** The route's cluster does not exist. */
    NO_CLUSTER_FOUND("NC"),
    /** The cluster had no healthy endpoint. */
    NO_HEALTHY_UPSTREAM("UH"),
    /** A circuit breaker limit was reached: answered 503 at once. */
    UPSTREAM_OVERFLOW("UO"),
    /** The connection to the endpoint could not be made. */
    UPSTREAM_CONNECTION_FAILURE("UF"),
    /** The upstream connection closed before the response was whole. */
    UPSTREAM_CONNECTION_TERMINATION("UC"),
    /** The upstream reset the stream. */
    UPSTREAM_REMOTE_RESET("UR"),
    /** The route timeout or a per-try timeout ran out. */
    UPSTREAM_REQUEST_TIMEOUT("UT"),
    /** Retries were used up, or the budget allowed none: the last answer was returned. */
    UPSTREAM_RETRY_LIMIT_EXCEEDED("URX"),
    /** No activity on the request for the stream idle timeout. */
    STREAM_IDLE_TIMEOUT("SI"),
    /** The fault filter delayed the request. */
    DELAY_INJECTED("DI"),
    /** The fault filter answered instead of the upstream. */
    FAULT_INJECTED("FI"),
    /** The local rate limit answered 429. */
    RATE_LIMITED("RL"),
    /** The client went away before the response was whole. */
    DOWNSTREAM_CONNECTION_TERMINATION("DC");

    private final String shortName;

    ResponseFlag(String shortName) {
        this.shortName = shortName;
    }

    public String shortName() {
        return shortName;
    }

    public int bit() {
        return 1 << ordinal();
    }

    /** Envoy's rendering of a set of flags: their short names joined by commas, or "-" for none. */
    public static String render(int flags) {
        if (flags == 0) {
            return "-";
        }
        StringBuilder out = new StringBuilder();
        for (ResponseFlag flag : values()) {
            if ((flags & flag.bit()) != 0) {
                out.append(out.isEmpty() ? "" : ",").append(flag.shortName);
            }
        }
        return out.toString();
    }
}
