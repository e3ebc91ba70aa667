package dev.trellis.testing;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The client side of {@link WebSocketTestClient}'s connection: reports the handshake's outcome and
 * queues what arrives (text as {@link String}, binary as {@code byte[]}, the end as an
 * {@link IOException}) for the caller's thread to take.
 */
final class WebSocketInbox extends SimpleChannelInboundHandler<WebSocketFrame> {

    final CompletableFuture<Void> handshake = new CompletableFuture<>();
    final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame text) {
            messages.add(text.text());
        } else if (frame instanceof BinaryWebSocketFrame binary) {
            messages.add(ByteBufUtil.getBytes(binary.content()));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            handshake.complete(null);
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            handshake.completeExceptionally(new IOException("WebSocket handshake timed out"));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        IOException closed = new IOException("connection closed");
        handshake.completeExceptionally(closed);
        messages.add(closed);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        IOException failed = cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        handshake.completeExceptionally(failed);
        messages.add(failed);
        ctx.close();
    }
}
