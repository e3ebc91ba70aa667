package dev.trellis.proxy.http.router;

import dev.trellis.proxy.telemetry.ResponseFlag;
import dev.trellis.proxy.resilience.LocalOriginFailure;

/** How a try ended without a response from its endpoint. */
enum Failure {
    /** The connection could not be made. */
    CONNECT_FAILURE(ResponseFlag.UPSTREAM_CONNECTION_FAILURE, LocalOriginFailure.CONNECT_FAILED),
    /** The endpoint did not process the request: it refused the stream, or the stream was above its GOAWAY. */
    REFUSED_STREAM(ResponseFlag.UPSTREAM_REMOTE_RESET, null),
    /** The connection or stream was reset or closed before the response was whole. */
    RESET(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION, LocalOriginFailure.RESET),
    /** The per-try timeout ran out. */
    PER_TRY_TIMEOUT(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT, LocalOriginFailure.TIMEOUT);

    final ResponseFlag flag;
    /** What outlier detection counts it as, or null when the endpoint is not to blame. */
    final LocalOriginFailure localOrigin;

    Failure(ResponseFlag flag, LocalOriginFailure localOrigin) {
        this.flag = flag;
        this.localOrigin = localOrigin;
    }
}
