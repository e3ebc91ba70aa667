package dev.trellis.proxy.upstream;

import java.io.IOException;

/**
 * The upstream closed a stream without processing its request, so the request may be sent again:
 * the peer refused the stream ({@code REFUSED_STREAM}), or the stream is above the last stream id
 * of a GOAWAY it sent (RFC 9113 §8.7). Passed to {@link ResponseSink#onUpstreamClosed}.
 */
public final class UnprocessedRequestException extends IOException {
    UnprocessedRequestException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // an answer from the peer, not a fault of this code: the trace says nothing
    }
}
