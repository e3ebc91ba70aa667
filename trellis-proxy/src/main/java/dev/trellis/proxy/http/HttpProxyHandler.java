package dev.trellis.proxy.http;

import dev.trellis.proxy.http.codec.Http1ClientCodec;
import dev.trellis.proxy.http.codec.Http1ServerCodec;
import dev.trellis.proxy.listener.ListenerContext;
import dev.trellis.proxy.tcp.RelayHandler;
import dev.trellis.proxy.time.IdleTimer;
import dev.trellis.proxy.upstream.ConnectionLease;
import dev.trellis.proxy.upstream.Lease;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downstream end of an HTTP/1.1 connection: turns each request into a
 * {@link DownstreamStream}, one at a time. Pipelined requests wait, with reading paused, until the
 * response before them is complete. On an upgrade to h2c it leaves the pipeline to
 * {@link Http2ServerConnection}.
 */
public final class HttpProxyHandler extends ChannelInboundHandlerAdapter implements StreamCarrier {
    private static final Logger log = LoggerFactory.getLogger(HttpProxyHandler.class);

    /** Reading paused while the upstream connects or cannot take more of the request body. */
    private static final int WAIT_UPSTREAM = 1;
    /** Reading paused while a pipelined request waits for the response before it. */
    private static final int WAIT_RESPONSE = 2;

    private final ListenerContext listener;
    private ChannelHandlerContext ctx;
    private DownstreamStream stream;
    private ArrayDeque<Object> pipelined;
    private int pauses;
    private boolean closing;
    private boolean firstRequestSeen;
    private String clientIp;
    /** The stream idle timeout: one timer per connection, running while a request is active. */
    private IdleTimer idleTimer;

    public HttpProxyHandler(ListenerContext listener) {
        this.listener = listener;
    }

    @Override
    public ListenerContext listener() {
        return listener;
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public boolean http2() {
        return false;
    }

    @Override
    public String clientIp() {
        if (clientIp == null) {
            clientIp = ClientAddress.of(ctx.channel());
        }
        return clientIp;
    }

    @Override
    public void touch() {
        idleTimer.touch();
    }

    /** The timer stops between requests. */
    @Override
    public void startIdleTimer(long nanos) {
        idleTimer.start(nanos);
    }

    @Override
    public boolean closing() {
        return closing || listener.draining();
    }

    @Override
    public void write(HttpObject part) {
        ctx.write(part, ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public boolean writable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void pauseReading() {
        pause(WAIT_UPSTREAM);
    }

    @Override
    public void resumeReading() {
        resume(WAIT_UPSTREAM);
    }

    @Override
    public void reset() {
        ctx.close();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.idleTimer = new IdleTimer(ctx.executor(), new IdleTimer.Watched() {
            @Override
            public boolean watching() {
                return stream != null && ctx.channel().isActive();
            }

            @Override
            public boolean inUse() {
                return false; // a request in flight is timed whether or not it is in use
            }

            @Override
            public void idleTimedOut() {
                stream.idleTimedOut();
            }
        });
    }

    /** Taken off its pipeline (an h2c upgrade, a WebSocket tunnel): its timer goes with it. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        idleTimer.stop();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (stream != null && stream.requestComplete()) {
            if (pipelined == null) {
                pipelined = new ArrayDeque<>(4);
            }
            pipelined.add(msg);
            pause(WAIT_RESPONSE);
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest request) {
            if (!firstRequestSeen) {
                firstRequestSeen = true;
                stopOfferingH2cUpgrade();
            }
            if (stream != null || closing) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            stream = new DownstreamStream(this, request);
            stream.start();
        } else if (msg instanceof HttpContent content) {
            if (stream != null) {
                stream.requestContent(content);
            } else {
                content.release(); // the rest of a body whose request was already answered
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** HTTP/1.1 clients upgrade to h2c on their first request or not at all. */
    private void stopOfferingH2cUpgrade() {
        if (ctx.pipeline().get(HttpServerUpgradeHandler.class) != null) {
            ctx.pipeline().remove(HttpServerUpgradeHandler.class);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (stream != null) {
            stream.flushUpstream();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (stream != null && ctx.channel().isWritable()) {
            stream.onDownstreamWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        idleTimer.stop();
        if (stream != null) {
            stream.onDownstreamClosed();
            stream = null;
        }
        if (pipelined != null) {
            pipelined.forEach(ReferenceCountUtil::release);
            pipelined.clear();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent) {
            // The connection now speaks HTTP/2: its streams are Http2ServerConnection's.
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("downstream {} failed", ctx.channel(), cause);
        ctx.close();
    }

    /** Closes the connection now if idle, else once the current response is complete. */
    public void drain() {
        if (stream == null) {
            ctx.close();
        } else {
            closing = true;
        }
    }

    private void pause(int reason) {
        if (pauses == 0) {
            ctx.channel().config().setAutoRead(false);
        }
        pauses |= reason;
    }

    private void resume(int reason) {
        int before = pauses;
        pauses &= ~reason;
        if (before != 0 && pauses == 0) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** The connection becomes a WebSocket tunnel: this handler and the HTTP codecs leave both pipelines. */
    @Override
    public void tunnel(HttpResponse response, Lease upstream) {
        ctx.writeAndFlush(response, ctx.voidPromise());
        stream = null;
        ConnectionLease connection = (ConnectionLease) upstream; // WebSocket goes over HTTP/1.1 only
        Channel client = ctx.channel();
        Channel server = connection.channel();
        connection.handler().unbind();
        ChannelPipeline down = client.pipeline();
        ChannelPipeline up = server.pipeline();
        down.addLast(new RelayHandler(server));
        up.addLast(new RelayHandler(client));
        down.remove(this);
        if (down.get(HttpServerUpgradeHandler.class) != null) {
            down.remove(HttpServerUpgradeHandler.class);
        }
        down.remove(Http1ServerCodec.class);
        up.remove(connection.handler());
        up.remove(Http1ClientCodec.class);
        client.config().setAutoRead(true);
        server.config().setAutoRead(true);
    }

    @Override
    public void streamEnded(boolean keepConnection) {
        stream = null;
        if (!keepConnection || closing()) {
            if (pipelined != null) {
                pipelined.forEach(ReferenceCountUtil::release);
                pipelined.clear();
            }
            ctx.close();
            return;
        }
        if (pipelined != null && !pipelined.isEmpty()) {
            while (!pipelined.isEmpty() && (stream == null || !stream.requestComplete())) {
                dispatch(pipelined.poll());
            }
            if (stream != null) {
                stream.flushUpstream();
            }
            if (!pipelined.isEmpty()) {
                return; // still waiting: the next response must complete first
            }
        }
        resume(WAIT_RESPONSE);
    }
}
