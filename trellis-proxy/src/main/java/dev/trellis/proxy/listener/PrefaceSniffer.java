package dev.trellis.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * The first handler of an HTTP connection: a client that opens with HTTP/2's connection preface
 * (h2c with prior knowledge) gets the HTTP/2 handler in place of the HTTP/1.1 ones; any other first
 * bytes leave the HTTP/1.1 handlers to read them. Either way it then leaves the pipeline, handing
 * on what it read.
 */
final class PrefaceSniffer extends ByteToMessageDecoder {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final List<ChannelHandler> http1;
    private final Supplier<ChannelHandler> http2;

    PrefaceSniffer(List<ChannelHandler> http1, Supplier<ChannelHandler> http2) {
        this.http1 = http1;
        this.http2 = http2;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
                ctx.pipeline().remove(this);
                return;
            }
        }
        if (n == PREFACE.length) {
            ChannelPipeline pipeline = ctx.pipeline();
            http1.forEach(pipeline::remove);
            pipeline.addAfter(ctx.name(), null, http2.get());
            pipeline.remove(this);
        }
    }
}
