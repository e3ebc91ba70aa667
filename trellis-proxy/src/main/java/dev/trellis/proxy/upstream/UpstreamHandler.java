package dev.trellis.proxy.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * The last handler of an upstream connection (HTTP/1.1) or stream (HTTP/2): passes what it reads
 * to the request it currently serves. An idle pooled connection has no sink; anything it reads
 * then is a protocol error and the connection is closed.
 *
 * <p>On a stream it also learns why the stream ended early: a {@code RST_STREAM} (its error code),
 * or a GOAWAY whose last stream id is below this stream. A stream the peer refused, or one above
 * the GOAWAY's last stream id, was not processed: the sink is told so with an
 * {@link UnprocessedRequestException}, and may send the request again.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final long maxRequests;
    private long requests;
    private ResponseSink sink;
    private Throwable failure;
    private UnprocessedRequestException unprocessed;

    /** A handler for an HTTP/2 stream, which serves one request. */
    public UpstreamHandler() {
        this(0);
    }

    /** @param maxRequests requests the connection serves before it is closed; 0 for no limit */
    public UpstreamHandler(long maxRequests) {
        this.maxRequests = maxRequests;
    }

    public void bind(ResponseSink sink) {
        this.sink = sink;
        requests++;
    }

    /** Whether the connection has served as many requests as it may ({@code maxRequestsPerConnection}). */
    boolean used() {
        return maxRequests > 0 && requests >= maxRequests;
    }

    public void unbind() {
        this.sink = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (sink != null) {
            sink.onUpstreamRead(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (sink != null) {
            sink.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (sink != null && ctx.channel().isWritable()) {
            sink.onUpstreamWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** An idle connection past its idle timeout closes; one serving a request is left to the request's timeouts. */
    private void onIdle(ChannelHandlerContext ctx) {
        if (sink == null) {
            ctx.close();
        }
    }

    /** Netty's multiplexer passes a stream's RST_STREAM, and a GOAWAY above it, as events; the close follows. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            onIdle(ctx);
        } else if (evt instanceof Http2ResetFrame reset) {
            long code = reset.errorCode();
            if (code == Http2Error.REFUSED_STREAM.code()) {
                unprocessed = new UnprocessedRequestException("upstream refused the stream (REFUSED_STREAM)");
            } else {
                Http2Error error = Http2Error.valueOf(code);
                failure = new IOException("upstream reset the stream (" + (error != null ? error : "error code " + code) + ")");
            }
        } else if (evt instanceof Http2GoAwayFrame goAway) {
            // (The duplicate Netty passes for each stream does not carry the last stream id.)
            unprocessed = new UnprocessedRequestException("the stream is above the last stream id of the upstream's GOAWAY");
            goAway.release(); // a retained duplicate, for this stream only
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ResponseSink s = sink;
        sink = null;
        if (s != null) {
            s.onUpstreamClosed(unprocessed != null ? unprocessed : failure);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (refusedLocally(cause)) {
            // Netty would not open the stream (the peer's limit or a GOAWAY it sent): nothing left.
            unprocessed = new UnprocessedRequestException("the stream could not be opened: " + cause.getMessage());
        } else {
            failure = cause;
        }
        ctx.close();
    }

    private static boolean refusedLocally(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof Http2Exception e && e.error() == Http2Error.REFUSED_STREAM) {
                return true;
            }
        }
        return false;
    }
}
