package dev.trellis.proxy.upstream;

import dev.trellis.proxy.resilience.Permit;
import dev.trellis.proxy.time.ConnectionFlush;
import dev.trellis.proxy.time.IdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One h2c connection (prior knowledge) of an {@link Http2Pool}, and its stream slots.
 *
 * <p>It is being made until the peer's first SETTINGS frame arrives (within the connect timeout),
 * then ready. A slot is free while fewer streams are open on it than the peer's current
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS}, as Netty applied it, a later SETTINGS frame included.
 * Open streams are counted two ways, and the larger count holds: the stream channels handed out and
 * not yet closed, and the streams Netty holds active. Each lags the other for a moment (a stream
 * channel closes while Netty still reads the frame that ended it; a reset stream stays active in
 * Netty until the reset is written), and opening a stream beyond Netty's count would have it refused.
 *
 * <p>After a GOAWAY it drains: it takes no new stream, its open streams finish (those above the
 * GOAWAY's last stream id are closed by Netty, and their requests learn they were not processed),
 * and it is closed once the last one ends.
 */
final class PooledHttp2Connection implements ChannelFutureListener {
    private static final Logger log = LoggerFactory.getLogger(PooledHttp2Connection.class);

    private enum State { CONNECTING, READY, DRAINING, CLOSED }

    /** Each stream: HTTP/2 frames to HTTP objects, then the request it serves. */
    private static final ChannelInitializer<Http2StreamChannel> STREAM = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), new UpstreamHandler());
        }
    };

    private final Http2Pool pool;
    private Channel channel;
    private Http2Connection http2;
    private Http2StreamChannelBootstrap streams;
    private ConnectionFlush flush;
    private State state = State.CONNECTING;
    /** Stream channels handed out whose close has not been seen yet. */
    private int open;
    private Throwable failure;
    private ChannelFuture connect;
    private ScheduledFuture<?> settingsTimeout;
    private long streamsOpened;
    /** Closes the connection after the cluster's idle timeout with no stream open; made when it is ready. */
    private IdleTimer idleTimer;

    PooledHttp2Connection(Http2Pool pool) {
        this.pool = pool;
    }

    /**
     * Starts connecting. The pool, which holds this connection already, hears of it again when it
     * is ready, its peer changes its limit, or it closes (which may be at once).
     */
    void connect(UpstreamPools pools, Permit permit) {
        connect = pools.connect(pool.loop(), pool.key(), pool.cluster(), permit, new Init());
        channel = connect.channel();
        streams = new Http2StreamChannelBootstrap(channel).handler(STREAM);
        flush = new ConnectionFlush(channel);
        connect.addListener(this::connected);
        channel.closeFuture().addListener(f -> closed());
    }

    /** Past the cluster's idle timeout with no stream open, the connection closes. */
    private void startIdleTimer() {
        if (idleTimer == null) {
            idleTimer = new IdleTimer(channel.eventLoop(), new IdleTimer.Watched() {
                @Override
                public boolean watching() {
                    return state != State.CLOSED && channel.isActive();
                }

                @Override
                public boolean inUse() {
                    return open > 0;
                }

                @Override
                public void idleTimedOut() {
                    channel.close();
                }
            });
        }
        idleTimer.start(pool.cluster().upstream().idleTimeout().toNanos());
    }

    private long connectTimeoutMillis() {
        return pool.cluster().upstream().connectTimeout().toMillis();
    }

    boolean connecting() {
        return state == State.CONNECTING;
    }

    boolean ready() {
        return state == State.READY;
    }

    /** Streams that may be opened now; 0 unless ready. */
    int freeStreams() {
        if (state != State.READY || !channel.isActive()) {
            return 0; // (inactive: closing, and the pool has not heard yet)
        }
        Http2Connection.Endpoint<?> local = http2.local();
        return local.maxActiveStreams() - Math.max(open, local.numActiveStreams());
    }

    /**
     * Opens a stream for {@code promise}, which the caller checked was free; its slot frees when it
     * closes. A connection that reached the cluster's {@code maxRequestsPerConnection} takes no
     * more, and closes once its streams are done.
     */
    void openStream(Promise<Lease> promise) {
        open++;
        long max = pool.cluster().upstream().maxRequestsPerConnection();
        if (max > 0 && ++streamsOpened >= max && state == State.READY) {
            state = State.DRAINING;
        }
        Future<Http2StreamChannel> opened = streams.open();
        if (opened.isDone()) {
            streamOpened(opened, promise);
        } else {
            opened.addListener(f -> streamOpened(opened, promise));
        }
    }

    private void streamOpened(Future<Http2StreamChannel> opened, Promise<Lease> promise) {
        if (!opened.isSuccess()) {
            open--;
            if (channel.isActive()) {
                promise.tryFailure(opened.cause());
            } else {
                pool.requeue(promise); // the connection closed under it: nothing was sent, wait for another
            }
            streamEnded();
            return;
        }
        Http2StreamChannel stream = opened.getNow();
        stream.closeFuture().addListener(this);
        if (!promise.trySuccess(new Lease(stream, stream.pipeline().get(UpstreamHandler.class), false, flush))) {
            stream.close(); // its request went away meanwhile: nothing was written, nothing is sent
        }
    }

    /** A stream channel handed out has closed. */
    @Override
    public void operationComplete(ChannelFuture closed) {
        open--;
        streamEnded();
    }

    private void streamEnded() {
        if (open == 0) {
            startIdleTimer(); // counts from now; keeps running if it already was
        }
        if (state == State.DRAINING) {
            closeIfDrained();
        } else if (state == State.READY) {
            pool.scheduleDispatch();
        }
    }

    private void closeIfDrained() {
        if (open == 0 && http2.numActiveStreams() == 0) {
            channel.close();
        }
    }

    private void connected(Future<? super Void> done) {
        if (!done.isSuccess()) {
            failure = done.cause();
            channel.close();
            return;
        }
        if (state == State.CONNECTING) {
            settingsTimeout = channel.eventLoop().schedule(
                    this::noSettings, connectTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void noSettings() {
        if (state == State.CONNECTING) {
            failure = new ConnectTimeoutException("no HTTP/2 SETTINGS from " + pool.endpoint() + " within "
                    + connectTimeoutMillis() + " ms of connecting: is it an HTTP/2 (h2c) server?");
            channel.close();
        }
    }

    private void closed() {
        State before = state;
        state = State.CLOSED;
        if (idleTimer != null) {
            idleTimer.stop();
        }
        if (settingsTimeout != null) {
            settingsTimeout.cancel(false);
        }
        if (before == State.CONNECTING && failure == null && !connect.isDone()) {
            // Closed before the connect failed (a name that did not resolve): report its cause.
            connect.addListener(f -> pool.connectionClosed(this, true, failureOr(f.cause())));
        } else {
            pool.connectionClosed(this, before == State.CONNECTING, failureOr(connect.cause()));
        }
    }

    private Throwable failureOr(Throwable connectFailure) {
        if (failure != null) {
            return failure;
        }
        return connectFailure != null
                ? connectFailure
                : new IOException(pool.endpoint() + " closed the connection before its HTTP/2 SETTINGS");
    }

    private void settingsRead(Http2Settings settings) {
        if (state == State.CONNECTING) {
            state = State.READY;
            settingsTimeout.cancel(false);
            startIdleTimer();
            pool.limitAnnounced(http2.local().maxActiveStreams());
        } else if (state == State.READY && settings.maxConcurrentStreams() != null) {
            pool.limitAnnounced(http2.local().maxActiveStreams());
        }
    }

    private void goAwayRead(Http2GoAwayFrame goAway) {
        if (state == State.CLOSED || state == State.DRAINING) {
            return;
        }
        log.debug("{} sent GOAWAY (last stream id {}, error {}): draining {} streams", pool.endpoint(),
                goAway.lastStreamId(), goAway.errorCode(), open);
        state = State.DRAINING;
        if (settingsTimeout != null) {
            settingsTimeout.cancel(false);
        }
        closeIfDrained();
        pool.scheduleDispatch(); // waiting requests may need a connection in its place
    }

    @Override
    public String toString() {
        return state + "(" + open + " streams)";
    }

    /** The connection's pipeline: Netty's codec and multiplexer, then what the pool must know of it. */
    private final class Init extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
            Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                    .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                    .build();
            http2 = codec.connection();
            http2.addListener(new Http2ConnectionAdapter() {
                @Override
                public void onStreamClosed(Http2Stream stream) {
                    streamEnded(); // Netty's count went down: a slot may be free now
                }
            });
            ch.pipeline().addLast(codec, new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()), new ConnectionFrames());
        }
    }

    /** Connection-level frames end here, after the pool has read SETTINGS and GOAWAY. */
    private final class ConnectionFrames extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2SettingsFrame settings) {
                    settingsRead(settings.settings());
                } else if (msg instanceof Http2GoAwayFrame goAway) {
                    goAwayRead(goAway);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 connection to {} failed", pool.endpoint(), cause);
            if (failure == null) {
                failure = cause;
            }
            ctx.close();
        }
    }
}
