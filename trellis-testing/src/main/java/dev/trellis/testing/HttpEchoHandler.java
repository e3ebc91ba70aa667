package dev.trellis.testing;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heart of {@link HttpEchoServer}, for one HTTP/1 connection or one HTTP/2 stream (whose
 * frames arrive mapped onto HTTP/1 objects). Counts each request body as it streams past without
 * keeping it, then answers through {@link EchoResponses}: one request at a time and in arrival
 * order, as HTTP/1.1 pipelining requires, {@code /delay/MS} on an event-loop timer, {@code /hold}
 * when the test releases it.
 */
final class HttpEchoHandler extends ChannelInboundHandlerAdapter {

    /** Finished requests waiting for their turn past which reading pauses (pipelining back-pressure). */
    private static final int MAX_WAITING = 16;

    private final EchoResponses responses;
    private final AtomicLong served;
    private final HeldRequests holds;
    private final Misbehaviour misbehaviour;
    private final Queue<EchoRequest> waiting = new ArrayDeque<>();

    private EchoRequest receiving;
    private long bodyBytes;
    private Throwable malformed;
    private boolean answering;
    private boolean closing;
    private ScheduledFuture<?> delayed;
    private Runnable held;

    HttpEchoHandler(EchoResponses responses, AtomicLong served) {
        this(responses, served, new HeldRequests(), new Misbehaviour());
    }

    HttpEchoHandler(EchoResponses responses, AtomicLong served, HeldRequests holds, Misbehaviour misbehaviour) {
        this.responses = responses;
        this.served = served;
        this.holds = holds;
        this.misbehaviour = misbehaviour;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject object)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            read(ctx, object);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void read(ChannelHandlerContext ctx, HttpObject msg) {
        if (msg instanceof HttpRequest head) {
            receiving = EchoRequest.fromHead(head, ctx.channel() instanceof Http2StreamChannel);
            bodyBytes = 0;
            malformed = head.decoderResult().cause();
        }
        if (receiving == null) {
            return; // The rest of a request already given up on.
        }
        if (msg instanceof HttpContent content) {
            bodyBytes += content.content().readableBytes();
            if (malformed == null) {
                malformed = content.decoderResult().cause();
            }
        }
        // After a decoding failure Netty discards the rest of the connection's bytes: no end will come.
        if (msg instanceof LastHttpContent || malformed != null) {
            EchoRequest request = receiving.withBodyBytes(bodyBytes);
            waiting.add(malformed == null ? request : request.malformed(malformed));
            receiving = null;
            answerNext(ctx);
        }
    }

    private void answerNext(ChannelHandlerContext ctx) {
        while (!answering && !closing && !waiting.isEmpty()) {
            EchoRequest polled = waiting.poll();
            EchoRequest request = polled.route() instanceof EchoRoute.Echo || polled.route() instanceof EchoRoute.Delay
                    ? misbehaviour.apply(polled)
                    : polled;
            if (request.route() instanceof EchoRoute.Delay delay && delay.millis() > 0) {
                answering = true;
                delayed = ctx.executor().schedule(() -> {
                    delayed = null;
                    answering = false;
                    answer(ctx, request);
                    answerNext(ctx);
                }, delay.millis(), TimeUnit.MILLISECONDS);
            } else if (request.route() instanceof EchoRoute.Hold) {
                answering = true;
                Runnable release = new Runnable() {
                    @Override
                    public void run() {
                        ctx.executor().execute(() -> {
                            if (held != this) {
                                return; // the connection went away meanwhile
                            }
                            held = null;
                            answering = false;
                            answer(ctx, request);
                            answerNext(ctx);
                        });
                    }
                };
                held = release;
                holds.hold(release);
            } else {
                answer(ctx, request);
            }
        }
        ChannelConfig config = ctx.channel().config();
        boolean readMore = waiting.size() < MAX_WAITING;
        if (config.isAutoRead() != readMore) {
            config.setAutoRead(readMore);
        }
    }

    private void answer(ChannelHandlerContext ctx, EchoRequest request) {
        if (!ctx.channel().isActive()) {
            return;
        }
        served.incrementAndGet();
        var written = responses.write(ctx, request);
        if (!request.keepAlive()) {
            closing = true;
            waiting.clear();
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        waiting.clear();
        if (delayed != null) {
            delayed.cancel(false);
            delayed = null;
        }
        if (held != null) {
            holds.drop(held);
            held = null;
        }
    }

    /** A broken connection (a reset, a protocol error) only ends itself; the server carries on. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
