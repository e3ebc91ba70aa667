package dev.trellis.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
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

/** Writes {@link HttpEchoServer}'s answer to one request, as its route asks. */
final class EchoResponses {

    static final String SERVED_BY = "x-served-by";

    private final String serverName;

    EchoResponses(String serverName) {
        this.serverName = serverName;
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

    private ChannelFuture writeBytes(ChannelHandlerContext ctx, EchoRequest request, long count) {
        HttpResponse response = new DefaultHttpResponse(request.version(), HttpResponseStatus.OK);
        head(response, request, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        HttpUtil.setContentLength(response, count);
        if (request.isHead()) {
            ctx.write(response);
            return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        ctx.write(response);
        // Needs a ChunkedWriteHandler closer to the socket: it pulls chunks as the peer drains them.
        return ctx.writeAndFlush(new HttpChunkedInput(new PatternBytes(count)));
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
