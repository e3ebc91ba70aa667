package dev.trellis.proxy.resilience;

/**
 * An attempt that failed on the proxy's side of the wire, with no status from the endpoint. Unless
 * {@code splitExternalLocalOriginErrors} is set, the outlier detector counts each as the status
 * Envoy maps it to: 503 for a failed connect or a reset, 504 for a timeout (all gateway errors).
 */
public enum LocalOriginFailure {
    /** The connection could not be made (refused, unreachable, connect timeout, TLS handshake failure). */
    CONNECT_FAILED(503),
    /** The connection or stream was reset before a response came. */
    RESET(503),
    /** No response within the request's or the try's timeout. */
    TIMEOUT(504);

    private final int status;

    LocalOriginFailure(int status) {
        this.status = status;
    }

    /** The status Envoy counts this failure as when local-origin errors are not split. */
    public int status() {
        return status;
    }
}
