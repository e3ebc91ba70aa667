package dev.trellis.proxy.http;

import dev.trellis.proxy.listener.ListenerContext;
import dev.trellis.proxy.time.ConnectionFlush;
import dev.trellis.proxy.time.IdleTimer;
import dev.trellis.proxy.upstream.Lease;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2CodecUtil;
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
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downstream end of an HTTP/2 connection: each stream's request becomes a
 * {@link DownstreamStream}, carried by a plain object of this connection rather than a channel of
 * its own. The responses written in one turn of the event loop leave in one flush.
 */
public final class Http2ServerConnection extends Http2ConnectionHandler {
    private static final Logger log = LoggerFactory.getLogger(Http2ServerConnection.class);

    private final ListenerContext listener;
    private final Http2Connection.PropertyKey carrierKey;
    /** Streams that passed request body on upstream in this read, to flush there once it is done. */
    private final ArrayList<StreamOfConnection> bodiesRead = new ArrayList<>();
    private ChannelHandlerContext ctx;
    private ConnectionFlush flush;
    private String clientIp;

    private Http2ServerConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                  Http2Settings settings, ListenerContext listener) {
        super(decoder, encoder, settings);
        this.listener = listener;
        this.carrierKey = connection().newKey();
        decoder.frameListener(new Frames());
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                StreamOfConnection carrier = carrierOf(stream);
                if (carrier != null) {
                    carrier.closed();
                }
            }
        });
        encoder.flowController().listener(new Http2RemoteFlowController.Listener() {
            @Override
            public void writabilityChanged(Http2Stream stream) {
                StreamOfConnection carrier = carrierOf(stream);
                if (carrier != null) {
                    carrier.writabilityChanged();
                }
            }
        });
    }

    /** A server-side handler for one connection, with the given first SETTINGS and drain time. */
    public static Http2ServerConnection create(ListenerContext listener, Http2Settings settings, long drainMillis) {
        return Http2Handlers.build(Http2Handlers.connection(true), settings, drainMillis,
                (decoder, encoder, initial) -> new Http2ServerConnection(decoder, encoder, initial, listener));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        this.flush = new ConnectionFlush(ctx.channel());
        super.handlerAdded(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent upgrade) {
            // The HTTP/1.1 request that asked for h2c is stream 1, its request side already complete.
            Http2Stream stream = connection().stream(Http2CodecUtil.HTTP_UPGRADE_STREAM_ID);
            if (stream != null) {
                try {
                    new StreamOfConnection(stream).start(upgrade.upgradeRequest().retain());
                } catch (Http2Exception e) {
                    onError(ctx, false, e);
                }
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        for (int i = 0; i < bodiesRead.size(); i++) {
            bodiesRead.get(i).flushUpstream();
        }
        bodiesRead.clear();
        super.channelReadComplete(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            super.exceptionCaught(ctx, cause);
        } else {
            log.debug("downstream {} failed", ctx.channel(), cause);
            ctx.close();
        }
    }

    /** The stream's carrier, or null: no such stream, or its headers not read yet. */
    private StreamOfConnection carrierOf(Http2Stream stream) {
        return stream == null ? null : stream.getProperty(carrierKey);
    }

    private String clientIp() {
        if (clientIp == null) {
            clientIp = ClientAddress.of(ctx.channel());
        }
        return clientIp;
    }

    /** The frames the client sends, handed to the stream they belong to. */
    private final class Frames extends Http2Handlers.FrameListener {
        private boolean settingsSeen;

        /** The client's first SETTINGS: past the preface, the connection's window may grow. */
        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
            if (!settingsSeen) {
                settingsSeen = true;
                Http2Handlers.widenConnectionWindow(connection());
                flush.request();
            }
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                  boolean endOfStream) throws Http2Exception {
            Http2Stream stream = connection().stream(streamId);
            if (stream == null) {
                return; // closed as the headers were read (a reset of ours crossed them)
            }
            StreamOfConnection carrier = stream.getProperty(carrierKey);
            if (carrier == null) {
                new StreamOfConnection(stream).start(Http2Requests.toHttp1(streamId, headers, endOfStream));
            } else {
                // Trailers: the decoder allows a second HEADERS only with END_STREAM.
                carrier.requestContent(Http2Requests.trailers(streamId, headers), 0);
            }
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
            int bytes = data.readableBytes() + padding;
            StreamOfConnection carrier = carrierOf(connection().stream(streamId));
            if (carrier == null) {
                return bytes;
            }
            return carrier.requestContent(Http2Handlers.content(data, endOfStream), bytes);
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            StreamOfConnection carrier = carrierOf(connection().stream(streamId));
            if (carrier != null) {
                carrier.closed();
            }
        }
    }

    /** One stream of this connection, as its {@link DownstreamStream} sees it. */
    private final class StreamOfConnection implements StreamCarrier, IdleTimer.Watched {
        private final Http2Stream stream;
        private DownstreamStream downstream;
        /** The client reset the stream, or it closed: nothing more is sent on it. */
        private boolean gone;
        private boolean paused;
        /** Body bytes taken while paused, given back to the client's window on resume. */
        private int heldBytes;
        /** Between a 1xx head and its end: the parts of an interim response that end no stream. */
        private boolean inInterim;
        /** Listed in {@code bodiesRead}: body went upstream in this read, to be flushed at its end. */
        private boolean bodyRead;
        private IdleTimer idleTimer;

        StreamOfConnection(Http2Stream stream) {
            this.stream = stream;
            stream.setProperty(carrierKey, this);
        }

        void start(HttpRequest request) throws Http2Exception {
            downstream = new DownstreamStream(this, request);
            try {
                downstream.start();
            } catch (RuntimeException e) {
                // One request's failure resets its stream, not the connection.
                downstream = null;
                throw Http2Exception.streamError(stream.id(), Http2Error.INTERNAL_ERROR, e, "request failed: %s", e);
            }
        }

        /** @return the bytes to give back to the client's window now */
        int requestContent(HttpContent content, int bytes) {
            if (downstream == null) {
                content.release();
                return bytes;
            }
            downstream.requestContent(content);
            if (!bodyRead) {
                bodyRead = true;
                bodiesRead.add(this);
            }
            if (paused) {
                heldBytes += bytes;
                return 0;
            }
            return bytes;
        }

        void flushUpstream() {
            bodyRead = false;
            if (downstream != null) {
                downstream.flushUpstream();
            }
        }

        /** The stream closed or was reset before its request was done: the request ends. */
        void closed() {
            gone = true;
            DownstreamStream current = downstream;
            if (current != null) {
                downstream = null;
                stopIdleTimer();
                current.onDownstreamClosed();
            }
        }

        void writabilityChanged() {
            if (downstream != null && writable()) {
                downstream.onDownstreamWritable();
            }
        }

        private boolean sending() {
            Http2Stream.State state = stream.state();
            return !gone && (state == Http2Stream.State.OPEN || state == Http2Stream.State.HALF_CLOSED_REMOTE) && ctx.channel().isActive();
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
            return true;
        }

        @Override
        public String clientIp() {
            return Http2ServerConnection.this.clientIp();
        }

        @Override
        public boolean closing() {
            return listener.draining();
        }

        @Override
        public void write(HttpObject part) {
            if (!sending()) {
                ReferenceCountUtil.release(part);
                return;
            }
            int id = stream.id();
            Http2ConnectionEncoder encoder = encoder();
            if (part instanceof HttpResponse response) {
                boolean interim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL && response.status().code() != 101;
                boolean endsHere = !interim && part instanceof FullHttpMessage full
                        && !full.content().isReadable() && full.trailingHeaders().isEmpty();
                encoder.writeHeaders(ctx, id, HttpConversionUtil.toHttp2Headers(response, false), 0, endsHere, ctx.voidPromise());
                if (interim || endsHere) {
                    inInterim = interim && !(part instanceof LastHttpContent);
                    ReferenceCountUtil.release(part);
                    return;
                }
            } else if (inInterim) {
                inInterim = !(part instanceof LastHttpContent);
                ReferenceCountUtil.release(part);
                return;
            }
            if (part instanceof LastHttpContent last) {
                boolean trailers = !last.trailingHeaders().isEmpty();
                // A response whose head went out alone still owes the client its END_STREAM.
                if (last.content().isReadable() || (!trailers && !(part instanceof FullHttpMessage))) {
                    encoder.writeData(ctx, id, last.content(), 0, !trailers, ctx.voidPromise());
                } else {
                    last.release();
                }
                if (trailers) {
                    encoder.writeHeaders(ctx, id, HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), false), 0, true, ctx.voidPromise());
                }
            } else if (part instanceof HttpContent content) {
                encoder.writeData(ctx, id, content.content(), 0, false, ctx.voidPromise());
            }
        }

        @Override
        public void flush() {
            flush.request();
        }

        @Override
        public boolean writable() {
            return sending() && encoder().flowController().isWritable(stream);
        }

        @Override
        public void pauseReading() {
            paused = true;
        }

        @Override
        public void resumeReading() {
            paused = false;
            if (heldBytes > 0) {
                int bytes = heldBytes;
                heldBytes = 0;
                if (!gone && stream.state() != Http2Stream.State.CLOSED) {
                    try {
                        connection().local().flowController().consumeBytes(stream, bytes);
                        flush.request(); // the WINDOW_UPDATE
                    } catch (Http2Exception e) {
                        onError(ctx, true, e);
                    }
                }
            }
        }

        @Override
        public void touch() {
            if (idleTimer != null) {
                idleTimer.touch();
            }
        }

        @Override
        public void startIdleTimer(long nanos) {
            if (idleTimer == null) {
                idleTimer = new IdleTimer(ctx.executor(), this);
            }
            idleTimer.start(nanos);
        }

        private void stopIdleTimer() {
            if (idleTimer != null) {
                idleTimer.stop();
            }
        }

        @Override
        public boolean watching() {
            return downstream != null;
        }

        @Override
        public boolean inUse() {
            return false; // a request in flight is timed whether or not it is in use
        }

        @Override
        public void idleTimedOut() {
            if (downstream != null) {
                downstream.idleTimedOut();
            }
        }

        @Override
        public void reset() {
            downstream = null;
            stopIdleTimer();
            if (!gone && stream.state() != Http2Stream.State.CLOSED && ctx.channel().isActive()) {
                gone = true;
                resetStream(ctx, stream.id(), Http2Error.CANCEL.code(), ctx.newPromise());
                flush.request();
            }
        }

        @Override
        public void streamEnded(boolean keepConnection) {
            downstream = null;
            stopIdleTimer();
        }

        @Override
        public void tunnel(HttpResponse response, Lease upstream) {
            throw new IllegalStateException("no WebSocket upgrade over HTTP/2");
        }
    }
}
