package dev.trellis.proxy.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream connection (HTTP/1.1) or stream (HTTP/2): passes what it reads
 * to the request it currently serves. An idle pooled connection has no sink; anything it reads
 * then is a protocol error and the connection is closed.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private ResponseSink sink;
    private Throwable failure;

    public void bind(ResponseSink sink) {
        this.sink = sink;
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

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ResponseSink s = sink;
        sink = null;
        if (s != null) {
            s.onUpstreamClosed(failure);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failure = cause;
        ctx.close();
    }
}
