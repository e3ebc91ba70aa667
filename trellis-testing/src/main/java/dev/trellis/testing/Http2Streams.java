package dev.trellis.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.logging.LogLevel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP/2 side of one {@link HttpEchoServer}: the settings it announces, the streams it refuses
 * on purpose, and an account of what clients did, for tests that check a client's behaviour.
 *
 * <p>Streams are counted from the HEADERS frames that open them, before Netty enforces the
 * announced {@code SETTINGS_MAX_CONCURRENT_STREAMS} (it refuses a stream beyond it with
 * {@code RST_STREAM REFUSED_STREAM}, as nginx does), so a client that opens too many is seen doing
 * so. A stream counts as open until it closes, is reset, or is refused.
 */
final class Http2Streams {
    /** HTTP/2 flow-control window per stream, in bytes: generous, so uploads are not throttled by it. */
    private static final int HTTP2_WINDOW = 1024 * 1024;
    private static final AttributeKey<Connection> CONNECTION = AttributeKey.valueOf("trellis.echo.h2");

    private final long maxConcurrentStreams;
    private final int refuseFirst;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpenOnOneConnection = new AtomicInteger();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong openedAfterGoAway = new AtomicLong();

    /**
     * @param maxConcurrentStreams announced in SETTINGS, or 0 to announce none (no limit)
     * @param refuseFirst how many streams of each connection, from its first, are refused
     */
    Http2Streams(long maxConcurrentStreams, int refuseFirst) {
        this.maxConcurrentStreams = maxConcurrentStreams;
        this.refuseFirst = refuseFirst;
    }

    /** The codec of a new HTTP/2 connection, which counts its streams. */
    Http2FrameCodec codec(Channel channel) {
        Connection connection = new Connection(channel);
        Http2Settings settings = Http2Settings.defaultSettings().initialWindowSize(HTTP2_WINDOW);
        if (maxConcurrentStreams > 0) {
            settings.maxConcurrentStreams(maxConcurrentStreams);
        }
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .frameLogger(connection.new Frames())
                .build();
        connection.codec = codec;
        codec.connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                connection.closed(stream.id());
            }
        });
        channel.attr(CONNECTION).set(connection);
        connections.add(connection);
        channel.closeFuture().addListener(f -> connections.remove(connection));
        return codec;
    }

    /** Whether this new stream of {@code connection} is one to refuse; if so, a handler that does. */
    ChannelInboundHandlerAdapter refuser(Channel connection) {
        Connection state = connection.attr(CONNECTION).get();
        return state != null && state.streamsStarted++ < refuseFirst ? Refuse.INSTANCE : null;
    }

    int openStreams() {
        return open.get();
    }

    int maxOpenOnOneConnection() {
        return maxOpenOnOneConnection.get();
    }

    long opened() {
        return opened.get();
    }

    long refused() {
        return refused.get();
    }

    long openedAfterGoAway() {
        return openedAfterGoAway.get();
    }

    /**
     * Sends GOAWAY (NO_ERROR) on every open HTTP/2 connection, then a PING, and waits until each
     * peer answered the PING: it has then read the GOAWAY too.
     *
     * @param dropOpenStreams last stream id 0, so no open stream was processed: they are dropped
     *     unanswered; else the last stream id is the last stream opened, and open streams finish
     */
    void goAway(boolean dropOpenStreams, Duration timeout) {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (Connection connection : connections) {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            acks.add(ack);
            connection.channel.eventLoop().execute(() -> connection.goAway(dropOpenStreams, ack));
        }
        try {
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("GOAWAY: not every peer answered the PING sent after it within " + timeout, e);
        }
    }

    /** One HTTP/2 connection; its fields are used on its event loop only. */
    private final class Connection {
        final Channel channel;
        Http2FrameCodec codec;
        final Set<Integer> openIds = new HashSet<>();
        int highestOpened;
        int streamsStarted;
        boolean goAwaySent;
        long pingToken;
        CompletableFuture<Void> pingAck;

        Connection(Channel channel) {
            this.channel = channel;
        }

        void headersRead(int streamId) {
            if (streamId <= highestOpened || streamId % 2 == 0) {
                return; // trailers, or a frame of a stream known already
            }
            highestOpened = streamId;
            openIds.add(streamId);
            opened.incrementAndGet();
            open.incrementAndGet();
            maxOpenOnOneConnection.accumulateAndGet(openIds.size(), Math::max);
            if (goAwaySent) {
                openedAfterGoAway.incrementAndGet();
            }
        }

        void closed(int streamId) {
            if (openIds.remove(streamId)) {
                open.decrementAndGet();
            }
        }

        void goAway(boolean dropOpenStreams, CompletableFuture<Void> ack) {
            if (!channel.isActive()) {
                ack.complete(null);
                return;
            }
            goAwaySent = true;
            if (dropOpenStreams) {
                codec.goAway(channel.pipeline().context(codec), 0, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                        channel.newPromise());
            } else {
                channel.write(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            }
            pingToken = ThreadLocalRandom.current().nextLong();
            pingAck = ack;
            channel.writeAndFlush(new DefaultHttp2PingFrame(pingToken));
            channel.closeFuture().addListener(f -> ack.complete(null));
        }

        /** Sees every frame before Netty acts on it; logs nothing. */
        final class Frames extends Http2FrameLogger {
            Frames() {
                super(LogLevel.TRACE);
            }

            @Override
            public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                    int padding, boolean endStream) {
                if (direction == Direction.INBOUND) {
                    headersRead(streamId);
                }
            }

            @Override
            public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                    int streamDependency, short weight, boolean exclusive, int padding, boolean endStream) {
                if (direction == Direction.INBOUND) {
                    headersRead(streamId);
                }
            }

            @Override
            public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
                if (direction == Direction.OUTBOUND && errorCode == Http2Error.REFUSED_STREAM.code()) {
                    refused.incrementAndGet();
                }
                closed(streamId);
            }

            @Override
            public void logPingAck(Direction direction, ChannelHandlerContext ctx, long data) {
                if (direction == Direction.INBOUND && pingAck != null && data == pingToken) {
                    pingAck.complete(null);
                    pingAck = null;
                }
            }
        }
    }

    /** Refuses its stream as unprocessed, as a server over its limit does. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Refuse extends ChannelInboundHandlerAdapter {
        static final Refuse INSTANCE = new Refuse();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
