package dev.trellis.testing;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * Hands the aggregated response on its channel (an HTTP/2 stream, or an HTTP/1.1 connection) to
 * whoever waits for it, or tells them why none will come.
 */
final class ResponseCollector extends SimpleChannelInboundHandler<FullHttpResponse> {

    private volatile CompletableFuture<Http2TestClient.Response> waiter;

    ResponseCollector(CompletableFuture<Http2TestClient.Response> waiter) {
        this.waiter = waiter;
    }

    /** On an HTTP/1.1 connection: the next response goes to {@code next}. */
    void expect(CompletableFuture<Http2TestClient.Response> next) {
        waiter = next;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            return; // e.g. 100 Continue: the real response follows.
        }
        boolean overHttp2 = ctx.channel() instanceof Http2StreamChannel;
        waiter.complete(new Http2TestClient.Response(
                response.status().code(),
                overHttp2 ? "HTTP/2" : response.protocolVersion().text(),
                HeaderMaps.flatten(response.headers(), overHttp2),
                response.content().toString(StandardCharsets.UTF_8)));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            waiter.completeExceptionally(new IOException(
                    "stream reset by the server: " + Http2Error.valueOf(reset.errorCode())));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        waiter.completeExceptionally(new IOException("closed before a response arrived"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        waiter.completeExceptionally(cause);
        ctx.close();
    }
}
