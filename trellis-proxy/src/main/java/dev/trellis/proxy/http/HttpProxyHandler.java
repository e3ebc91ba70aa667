package dev.trellis.proxy.http;

import dev.trellis.proxy.listener.ListenerContext;
import dev.trellis.proxy.time.IdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downstream end of an HTTP/1.1 connection, or of one HTTP/2 stream: turns each request into
 * a {@link DownstreamStream}, one at a time. Pipelined HTTP/1.1 requests wait, with
 * reading paused, until the response before them is complete.
 */
public final class HttpProxyHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HttpProxyHandler.class);

    /** Reading paused while the upstream connects or cannot take more of the request body. */
    static final int WAIT_UPSTREAM = 1;
    /** Reading paused while a pipelined request waits for the response before it. */
    static final int WAIT_RESPONSE = 2;

    private final ListenerContext listener;
    private final boolean http2;
    private ChannelHandlerContext ctx;
    private DownstreamStream stream;
    private ArrayDeque<Object> pipelined;
    private int pauses;
    private boolean closing;
    private boolean firstRequestSeen;
    private String clientIp;
    /** The stream idle timeout: one timer per connection (or HTTP/2 stream), running while a request is active. */
    private IdleTimer idleTimer;

    /** @param http2 the channel is one HTTP/2 stream, not an HTTP/1.1 connection */
    public HttpProxyHandler(ListenerContext listener, boolean http2) {
        this.listener = listener;
        this.http2 = http2;
    }

    ListenerContext listener() {
        return listener;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    boolean http2() {
        return http2;
    }

    /** The client's IP address as text (for HTTP/2, of the connection the stream is on), or null. */
    String clientIp() {
        if (clientIp == null) {
            Channel connection = http2 ? ctx.channel().parent() : ctx.channel();
            SocketAddress remote = connection != null ? connection.remoteAddress() : null;
            if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
                clientIp = inet.getAddress().getHostAddress();
            }
        }
        return clientIp;
    }

    /** The current request moved: a read or a write, either way. */
    void touch() {
        idleTimer.touch();
    }

    /** Times the current request out after {@code nanos} with nothing moving; the timer stops between requests. */
    void startIdleTimer(long nanos) {
        idleTimer.start(nanos);
    }

    boolean closing() {
        return closing || listener.draining();
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
        if (!http2 && ctx.pipeline().get(HttpServerUpgradeHandler.class) != null) {
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
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent
                || evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent) {
            // The connection now speaks HTTP/2: streams get handlers of their own.
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

    void pause(int reason) {
        if (pauses == 0) {
            ctx.channel().config().setAutoRead(false);
        }
        pauses |= reason;
    }

    void resume(int reason) {
        int before = pauses;
        pauses &= ~reason;
        if (before != 0 && pauses == 0) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** The stream handed its connection over to a tunnel (WebSocket): this handler is done. */
    void streamBecameTunnel() {
        stream = null;
    }

    /** Called by the current stream once both its request and response are complete. */
    void streamEnded(boolean keepConnection) {
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
