package dev.trellis.proxy.upstream;

import java.io.IOException;

/**
 * A request found every connection to its endpoint busy, no room for another connection, and the
 * queue of requests waiting for a stream full: it is not sent (Envoy's "upstream overflow").
 */
public final class UpstreamOverflowException extends IOException {
    UpstreamOverflowException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // a limit reached under load: the trace says nothing, and costs
    }
}
