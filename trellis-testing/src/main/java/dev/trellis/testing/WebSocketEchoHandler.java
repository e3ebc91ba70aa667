package dev.trellis.testing;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Echoes whole WebSocket messages: text as {@code "<name>: <text>"} (so the reply names the
 * backend), binary unchanged. Control frames are left to Netty's protocol handler.
 */
@Sharable
final class WebSocketEchoHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    private final String prefix;

    WebSocketEchoHandler(String serverName) {
        this.prefix = serverName + ": ";
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame text) {
            ctx.writeAndFlush(new TextWebSocketFrame(prefix + text.text()));
        } else if (frame instanceof BinaryWebSocketFrame) {
            ctx.writeAndFlush(new BinaryWebSocketFrame(frame.content().retainedDuplicate()));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
