package dev.trellis.proxy.upstream;

import dev.trellis.proxy.time.ConnectionFlush;
import io.netty.channel.Channel;

/**
 * The right to send one request upstream: an HTTP/1.1 connection taken from the pool or newly
 * made, or a new stream of a shared HTTP/2 connection.
 *
 * @param reused true when the connection was idle in the pool, so it may have been closed by the
 *     peer in the meantime; a request that fails on it before any response may be tried again
 * @param sharedFlush for an HTTP/2 stream, the flush of the connection it shares; null for HTTP/1.1
 */
public record Lease(Channel channel, UpstreamHandler handler, boolean reused, ConnectionFlush sharedFlush) {
    /** Whether this is an HTTP/2 stream, which is never returned to the pool. */
    public boolean multiplexed() {
        return sharedFlush != null;
    }

    /** Sends what was written; the streams of one HTTP/2 connection flush together, once per loop turn. */
    public void flush() {
        if (sharedFlush != null) {
            sharedFlush.request();
        } else {
            channel.flush();
        }
    }
}
