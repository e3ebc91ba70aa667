package dev.trellis.proxy.upstream;

import dev.trellis.proxy.http.Http2Handlers;
import dev.trellis.proxy.resilience.Permit;
import dev.trellis.proxy.time.ConnectionFlush;
import dev.trellis.proxy.time.IdleTimer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One h2c connection (prior knowledge) of an {@link Http2Pool}, and its stream slots. Its streams
 * are {@link Http2StreamLease}s, plain objects: one Netty connection handler reads and writes the
 * frames of all of them, and what the streams write in one turn of the event loop leaves in one flush.
 *
 * <p>It is being made until the peer's first SETTINGS frame arrives (within the connect timeout),
 * then ready. A slot is free while fewer streams are open on it than the peer's current
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS}, as Netty applied it, a later SETTINGS frame included.
 * Open streams are counted two ways, and the larger count holds: the leases handed out and not yet
 * done, and the streams Netty holds active. Each lags the other for a moment (a lease is done while
 * Netty still reads the frame that ended it; a reset stream stays active in Netty until the reset
 * is written), and opening a stream beyond Netty's count would have it refused.
 *
 * <p>After a GOAWAY it drains: it takes no new stream, its open streams finish (those above the
 * GOAWAY's last stream id are closed by Netty, and their requests learn they were not processed),
 * and it is closed once the last one ends.
 */
final class PooledHttp2Connection {
    private static final Logger log = LoggerFactory.getLogger(PooledHttp2Connection.class);

    private enum State { CONNECTING, READY, DRAINING, CLOSED }

    private final Http2Pool pool;
    private Channel channel;
    private Handler handler;
    private Http2Connection http2;
    private Http2Connection.PropertyKey leaseKey;
    private ConnectionFlush flush;
    private State state = State.CONNECTING;
    /** Leases handed out and not done yet. */
    private int open;
    private Throwable failure;
    private ChannelFuture connect;
    private ScheduledFuture<?> settingsTimeout;
    private long streamsOpened;
    /** Closes the connection after the cluster's idle timeout with no stream open; made when it is ready. */
    private IdleTimer idleTimer;
    /** Streams given response parts in the current read, told when it is complete. */
    private final ArrayList<Http2StreamLease> readThisTurn = new ArrayList<>();

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
     * Gives {@code promise} a stream slot, which the caller checked was free; it frees when its
     * lease is done. A connection that reached the cluster's {@code maxRequestsPerConnection} takes
     * no more, and closes once its streams are done.
     */
    void openStream(Promise<Lease> promise) {
        open++;
        long max = pool.cluster().upstream().maxRequestsPerConnection();
        if (max > 0 && ++streamsOpened >= max && state == State.READY) {
            state = State.DRAINING;
        }
        Http2StreamLease lease = new Http2StreamLease(this);
        if (!promise.trySuccess(lease)) {
            lease.close(); // its request went away meanwhile: nothing was written, nothing is sent
        }
    }

    // What the streams do, on the connection's event loop.

    /**
     * Opens the Netty stream of {@code lease} by writing its request head; null when Netty would
     * not (the lease then hears why, after this call returns, as a close).
     */
    Http2Stream openStream(Http2StreamLease lease, Http2Headers headers, boolean endStream) {
        ChannelHandlerContext ctx = handler.context();
        if (ctx == null || state == State.CLOSED) {
            channel.eventLoop().execute(() -> lease.closed(failureOr(null)));
            return null;
        }
        int id = http2.local().incrementAndGetNextStreamId();
        ChannelPromise written = ctx.newPromise();
        handler.encoder().writeHeaders(ctx, id, headers, 0, endStream, written);
        Http2Stream stream = http2.stream(id);
        if (stream == null) {
            lease.notOpened(written.cause() != null ? written.cause()
                    : new IOException("HTTP/2 stream " + id + " to " + pool.endpoint() + " was not opened"));
            channel.eventLoop().execute(() -> lease.closed(null));
            return null;
        }
        stream.setProperty(leaseKey, lease);
        return stream;
    }

    void writeHeaders(int streamId, Http2Headers headers, boolean endStream) {
        ChannelHandlerContext ctx = handler.context();
        handler.encoder().writeHeaders(ctx, streamId, headers, 0, endStream, ctx.voidPromise());
    }

    void writeData(Http2Stream stream, ByteBuf data, boolean endStream) {
        ChannelHandlerContext ctx = handler.context();
        if (stream == null || ctx == null) {
            data.release();
            return;
        }
        handler.encoder().writeData(ctx, stream.id(), data, 0, endStream, ctx.voidPromise());
    }

    void flush() {
        flush.request();
    }

    boolean writable(Http2Stream stream) {
        return stream == null ? channel.isWritable() : handler.encoder().flowController().isWritable(stream);
    }

    /** Gives {@code bytes} of response back to the stream's window: the upstream may send them again. */
    void consumed(Http2Stream stream, int bytes) {
        if (stream == null || stream.state() == Http2Stream.State.CLOSED) {
            return;
        }
        try {
            http2.local().flowController().consumeBytes(stream, bytes);
            flush.request(); // the WINDOW_UPDATE
        } catch (Http2Exception e) {
            handler.onError(handler.context(), true, e);
        }
    }

    void reset(Http2Stream stream) {
        ChannelHandlerContext ctx = handler.context();
        if (stream.state() != Http2Stream.State.CLOSED && ctx != null && channel.isActive()) {
            handler.resetStream(ctx, stream.id(), Http2Error.CANCEL.code(), ctx.newPromise());
            flush.request();
        }
    }

    /** The stream is told when the current read is complete. */
    void readFor(Http2StreamLease lease) {
        if (!lease.readThisTurn) {
            lease.readThisTurn = true;
            readThisTurn.add(lease);
        }
    }

    /** A lease is done: its slot is free. */
    void streamDone(Http2StreamLease lease) {
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

    /** The lease of {@code stream}, or null: no such stream, or not one of this pool's requests. */
    private Http2StreamLease leaseOf(Http2Stream stream) {
        return stream == null ? null : stream.getProperty(leaseKey);
    }

    // The connection's life.

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

    private void settingsRead() throws Http2Exception {
        if (state == State.CONNECTING) {
            state = State.READY;
            Http2Handlers.widenConnectionWindow(http2);
            flush.request();
            settingsTimeout.cancel(false);
            startIdleTimer();
            pool.limitAnnounced(http2.local().maxActiveStreams());
        } else if (state == State.READY) {
            pool.limitAnnounced(http2.local().maxActiveStreams());
        }
    }

    private void goAwayRead(int lastStreamId, long errorCode) {
        if (state == State.CLOSED || state == State.DRAINING) {
            return;
        }
        log.debug("{} sent GOAWAY (last stream id {}, error {}): draining {} streams", pool.endpoint(),
                lastStreamId, errorCode, open);
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

    /** The connection's pipeline: one handler, which is the HTTP/2 codec and its streams' dispatcher. */
    private final class Init extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
            Http2Connection connection = Http2Handlers.connection(false);
            http2 = connection;
            leaseKey = connection.newKey();
            connection.addListener(new StreamEvents());
            handler = Http2Handlers.build(connection, Http2Settings.defaultSettings().pushEnabled(false), -1, Handler::new);
            handler.encoder().flowController().listener(new Http2RemoteFlowController.Listener() {
                @Override
                public void writabilityChanged(Http2Stream stream) {
                    Http2StreamLease lease = leaseOf(stream);
                    if (lease != null) {
                        lease.writabilityChanged();
                    }
                }
            });
            ch.pipeline().addLast(handler);
        }
    }

    /** Streams closing, and a GOAWAY's verdict on the streams above its last stream id, before they close. */
    private final class StreamEvents extends Http2ConnectionAdapter {
        @Override
        public void onStreamClosed(Http2Stream stream) {
            Http2StreamLease lease = leaseOf(stream);
            if (lease != null) {
                lease.closed(channel.isActive() ? null : failure);
            }
            streamEnded(); // Netty's count went down: a slot may be free now
        }

        @Override
        public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
            try {
                http2.forEachActiveStream(stream -> {
                    Http2StreamLease lease = leaseOf(stream);
                    if (lease != null && stream.id() > lastStreamId) {
                        lease.goneAway();
                    }
                    return true;
                });
            } catch (Http2Exception e) {
                throw new IllegalStateException(e); // the visitor throws nothing
            }
        }
    }

    /** The frames the upstream sends, to the stream they belong to; SETTINGS and GOAWAY to the connection. */
    private final class Frames extends Http2Handlers.FrameListener {
        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
            settingsRead();
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
            goAwayRead(lastStreamId, errorCode);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                  boolean endOfStream) throws Http2Exception {
            Http2StreamLease lease = leaseOf(http2.stream(streamId));
            if (lease != null) {
                lease.headersRead(headers, endOfStream);
            }
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
            int bytes = data.readableBytes() + padding;
            Http2StreamLease lease = leaseOf(http2.stream(streamId));
            return lease == null ? bytes : lease.dataRead(data, bytes, endOfStream);
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            Http2StreamLease lease = leaseOf(http2.stream(streamId));
            if (lease != null) {
                lease.resetRead(errorCode);
            }
        }
    }

    /** Netty's HTTP/2 connection handler, telling the streams when a read is complete. */
    private final class Handler extends Http2ConnectionHandler {
        private ChannelHandlerContext ctx;

        Handler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
            super(decoder, encoder, settings);
            decoder.frameListener(new Frames());
        }

        ChannelHandlerContext context() {
            return ctx;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
            this.ctx = ctx;
            super.handlerAdded(ctx);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            for (int i = 0; i < readThisTurn.size(); i++) {
                readThisTurn.get(i).readComplete();
            }
            readThisTurn.clear();
            super.channelReadComplete(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
                super.exceptionCaught(ctx, cause);
                return;
            }
            log.debug("HTTP/2 connection to {} failed", pool.endpoint(), cause);
            if (failure == null) {
                failure = cause;
            }
            ctx.close();
        }
    }
}
