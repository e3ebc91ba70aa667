package dev.trellis.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** Writes {@link HttpEchoServer}'s answer to one request, as its route asks. */
final class EchoResponses {

    static final String SERVED_BY = "x-served-by";
    /** Request header choosing how a {@code /reset-...} response frames its body over HTTP/1. */
    static final String FRAMING = "x-echo-framing";
    /** Body bytes a {@code length}-framed reset response promises beyond those it sends. */
    static final int UNSENT_BYTES = 1024;

    private final String serverName;
    private final AtomicLong bodyBytesSent;

    EchoResponses(String serverName) {
        this(serverName, new AtomicLong());
    }

    /** @param bodyBytesSent counts the bytes of {@code /bytes/N} bodies as they are produced */
    EchoResponses(String serverName, AtomicLong bodyBytesSent) {
        this.serverName = serverName;
        this.bodyBytesSent = bodyBytesSent;
    }

    /** Writes and flushes the whole answer; the future completes when its last byte is written. */
    ChannelFuture write(ChannelHandlerContext ctx, EchoRequest request) {
        return switch (request.route()) {
            case EchoRoute.Bytes bytes -> writeBytes(ctx, request, bytes.count());
            case EchoRoute.Invalid invalid -> writeJson(ctx, request, HttpResponseStatus.BAD_REQUEST, error(invalid));
            case EchoRoute.Status status ->
                    writeJson(ctx, request, HttpResponseStatus.valueOf(status.code()), request.toJson(serverName));
            case EchoRoute.Echo echo -> writeJson(ctx, request, HttpResponseStatus.OK, request.toJson(serverName));
            case EchoRoute.Delay delay -> writeJson(ctx, request, HttpResponseStatus.OK, request.toJson(serverName));
            case EchoRoute.Hold hold -> writeJson(ctx, request, HttpResponseStatus.OK, request.toJson(serverName));
            case EchoRoute.Reset reset -> writeThenReset(ctx, request, reset.bodyBytes());
        };
    }

    private ChannelFuture writeJson(
            ChannelHandlerContext ctx, EchoRequest request, HttpResponseStatus status, String json) {
        boolean bodyless = status.code() == 204 || status.code() == 304;
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf content = bodyless || request.isHead() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
        FullHttpResponse response = new DefaultFullHttpResponse(request.version(), status, content);
        head(response, request, HttpHeaderValues.APPLICATION_JSON);
        if (!bodyless) {
            // For HEAD too: the length a GET would have had.
            HttpUtil.setContentLength(response, body.length);
        }
        return ctx.writeAndFlush(response);
    }

    /**
     * {@code count} pattern bytes, framed over HTTP/1 as the request's {@code x-echo-framing} asks:
     * {@code length} (the default), {@code chunked}, or {@code close} (no length; the connection
     * closes, cleanly, after the last byte).
     */
    private ChannelFuture writeBytes(ChannelHandlerContext ctx, EchoRequest request, long count) {
        HttpResponse response = new DefaultHttpResponse(request.version(), HttpResponseStatus.OK);
        head(response, request, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        String framing = framing(request);
        boolean closeDelimited = framing.equals("close") && !request.protocol().equals("HTTP/2");
        switch (framing) {
            case "chunked" -> HttpUtil.setTransferEncodingChunked(response, true);
            case "close" -> response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            default -> HttpUtil.setContentLength(response, count);
        }
        ChannelFuture written;
        if (request.isHead()) {
            ctx.write(response);
            written = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        } else {
            ctx.write(response);
            // Needs a ChunkedWriteHandler closer to the socket: it pulls chunks as the peer drains them.
            written = ctx.writeAndFlush(new HttpChunkedInput(new PatternBytes(count, bodyBytesSent)));
        }
        if (closeDelimited) {
            written.addListener(ChannelFutureListener.CLOSE); // the end of the body
        }
        return written;
    }

    private static String framing(EchoRequest request) {
        return request.headers().getOrDefault(FRAMING, "length").toLowerCase(Locale.ROOT);
    }

    /**
     * The head of a 200 response and {@code count} pattern bytes of its body, then a reset, as an
     * app that crashes mid-response. Over HTTP/1 the body is framed as the request's
     * {@code x-echo-framing} asks: {@code length} (the default: a {@code Content-Length} of
     * {@code count} + 1024), {@code chunked}, or {@code close} (no length: the body would end when
     * the connection does); the connection is then closed with an RST (SO_LINGER 0). Over HTTP/2
     * the stream is reset (RST_STREAM) and the connection carries on.
     */
    private ChannelFuture writeThenReset(ChannelHandlerContext ctx, EchoRequest request, long count) {
        HttpResponse response = new DefaultHttpResponse(request.version(), HttpResponseStatus.OK);
        head(response, request, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        switch (framing(request)) {
            case "chunked" -> HttpUtil.setTransferEncodingChunked(response, true);
            case "close" -> response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            default -> HttpUtil.setContentLength(response, count + UNSENT_BYTES);
        }
        ChannelFuture written;
        if (count > 0) {
            ctx.write(response);
            written = ctx.writeAndFlush(new DefaultHttpContent(PatternBytes.first(ctx.alloc(), (int) count)));
        } else {
            written = ctx.writeAndFlush(response);
        }
        written.addListener(f -> {
            if (ctx.channel() instanceof SocketChannel) {
                ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0); // close with an RST, not a FIN
            }
            ctx.channel().close();
        });
        return written;
    }

    private void head(HttpResponse response, EchoRequest request, CharSequence contentType) {
        response.headers()
                .set(SERVED_BY, serverName)
                .set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setKeepAlive(response, request.keepAlive());
    }

    private String error(EchoRoute.Invalid invalid) {
        StringBuilder json = new StringBuilder("{");
        Json.string(json.append("\"server\":"), serverName);
        Json.string(json.append(",\"error\":"), invalid.message());
        return json.append('}').toString();
    }
}
