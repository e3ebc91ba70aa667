package dev.trellis.proxy.resilience;

/** Why the outlier detector ejected an endpoint, named as Envoy's {@code OutlierEjectionType}. */
public enum EjectionReason {
    /** {@code consecutive5xxErrors} 5xx responses in a row (local-origin failures too, unless split). */
    CONSECUTIVE_5XX("consecutive_5xx"),
    /** {@code consecutiveGatewayErrors} 502, 503 or 504 responses in a row (local-origin failures too, unless split). */
    CONSECUTIVE_GATEWAY_FAILURE("consecutive_gateway_failure"),
    /** {@code consecutiveLocalOriginFailures} connect failures, resets or timeouts in a row (split mode only). */
    CONSECUTIVE_LOCAL_ORIGIN_FAILURE("consecutive_local_origin_failure");

    private final String envoyName;

    EjectionReason(String envoyName) {
        this.envoyName = envoyName;
    }

    /**
     * The suffix of Envoy's statistics for this reason: {@code
     * outlier_detection.ejections_enforced_<name>} and {@code ejections_detected_<name>}.
     */
    public String envoyName() {
        return envoyName;
    }
}
