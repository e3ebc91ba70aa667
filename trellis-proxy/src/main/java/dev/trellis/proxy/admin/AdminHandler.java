package dev.trellis.proxy.admin;

import dev.trellis.proxy.ProxyServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Answers the admin endpoints; stateless, shared by every admin connection. */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json";

    private final ProxyServer proxy;
    private final ConfigDump configDump;

    AdminHandler(ProxyServer proxy) {
        this.proxy = proxy;
        this.configDump = new ConfigDump(proxy);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = request.uri().split("\\?", 2)[0];
        FullHttpResponse response = switch (path) {
            case "/ready" -> proxy.draining()
                    ? respond(HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, "DRAINING\n")
                    : !proxy.configured()
                            ? respond(HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, "NOT READY: waiting for its configuration\n")
                            : respond(HttpResponseStatus.OK, TEXT, "LIVE\n");
            case "/config_dump" -> respond(HttpResponseStatus.OK, JSON, configDump.json());
            case "/stats/prometheus", "/metrics" -> respond(HttpResponseStatus.OK, PROMETHEUS, proxy.metrics().prometheusText());
            case "/" -> respond(HttpResponseStatus.OK, TEXT,
                    "/ready             readiness: 200 LIVE; 503 before its first configuration, and while draining\n"
                            + "/config_dump       the running configuration, as JSON\n"
                            + "/stats/prometheus  metrics in the Prometheus text format\n");
            default -> respond(HttpResponseStatus.NOT_FOUND, TEXT, "no admin endpoint " + path + " (see /)\n");
        };
        HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
        ctx.writeAndFlush(response);
    }

    private static FullHttpResponse respond(HttpResponseStatus status, String contentType, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
