package dev.trellis.proxy.route;

/**
 * A condition under which a try is retried: Envoy's {@code retry_on} names, which Istio's {@code
 * retries.retryOn} passes through. A retry is only ever made before response bytes reach the caller.
 */
public enum RetryOn {
    /** Any 5xx response, a reset, a connect failure or a refused stream ({@code 5xx}). */
    FIVE_XX("5xx"),
    /** 502, 503 or 504 ({@code gateway-error}). */
    GATEWAY_ERROR("gateway-error"),
    /** The upstream reset, closed or timed out before answering ({@code reset}). */
    RESET("reset"),
    /** The connection to the endpoint could not be made ({@code connect-failure}). */
    CONNECT_FAILURE("connect-failure"),
    /** The HTTP/2 stream was refused, so the request was never processed ({@code refused-stream}). */
    REFUSED_STREAM("refused-stream"),
    /** 409 ({@code retriable-4xx}). */
    RETRIABLE_4XX("retriable-4xx"),
    /** A status in {@link RetryPolicy#retriableStatusCodes()} ({@code retriable-status-codes}). */
    RETRIABLE_STATUS_CODES("retriable-status-codes"),
    /** A response header matching {@link RetryPolicy#retriableHeaders()} ({@code retriable-headers}). */
    RETRIABLE_HEADERS("retriable-headers"),
    /** gRPC status 1 ({@code cancelled}). */
    GRPC_CANCELLED("cancelled"),
    /** gRPC status 4 ({@code deadline-exceeded}). */
    GRPC_DEADLINE_EXCEEDED("deadline-exceeded"),
    /** gRPC status 13 ({@code internal}). */
    GRPC_INTERNAL("internal"),
    /** gRPC status 8 ({@code resource-exhausted}). */
    GRPC_RESOURCE_EXHAUSTED("resource-exhausted"),
    /** gRPC status 14 ({@code unavailable}). */
    GRPC_UNAVAILABLE("unavailable");

    private final String envoyName;

    RetryOn(String envoyName) {
        this.envoyName = envoyName;
    }

    /** The name in Envoy's {@code retry_on} and Istio's {@code retryOn}. */
    public String envoyName() {
        return envoyName;
    }

    /** The condition named {@code name} in Envoy's {@code retry_on}, or null if Trellis has none by that name. */
    public static RetryOn byEnvoyName(String name) {
        for (RetryOn condition : values()) {
            if (condition.envoyName.equals(name)) {
                return condition;
            }
        }
        return null;
    }

    /** The gRPC status code this condition retries, or -1 for the HTTP ones. */
    public int grpcStatus() {
        return switch (this) {
            case GRPC_CANCELLED -> 1;
            case GRPC_DEADLINE_EXCEEDED -> 4;
            case GRPC_RESOURCE_EXHAUSTED -> 8;
            case GRPC_INTERNAL -> 13;
            case GRPC_UNAVAILABLE -> 14;
            default -> -1;
        };
    }
}
