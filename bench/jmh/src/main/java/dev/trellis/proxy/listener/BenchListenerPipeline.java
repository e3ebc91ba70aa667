package dev.trellis.proxy.listener;

import dev.trellis.proxy.http.SizedHeaders;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;

/**
 * For the benchmarks (bench/jmh), in the listener's package so that it reads {@link ConnectionInitializer}'s
 * package-private limits: the handlers an accepted HTTP connection gets, as {@code ConnectionInitializer.initChannel}
 * builds them, minus the proxy's own handler and the HTTP/2 side (reached only by h2c requests, which the
 * benchmarks do not send). Keep in step with {@code initChannel}.
 */
public final class BenchListenerPipeline {
    private BenchListenerPipeline() {}

    /** The HTTP/1.1 codec of a downstream connection, configured as the listener configures it. */
    public static HttpServerCodec http1Codec() {
        return new HttpServerCodec(new HttpDecoderConfig()
                .setHeadersFactory(SizedHeaders.MESSAGES)
                .setTrailersFactory(SizedHeaders.TRAILERS)
                .setMaxInitialLineLength(ConnectionInitializer.MAX_INITIAL_LINE)
                .setMaxHeaderSize(ConnectionInitializer.MAX_HEADER_SIZE)
                .setMaxChunkSize(ConnectionInitializer.MAX_CHUNK_SIZE));
    }

    /**
     * The first handler of an HTTP connection: it sniffs for the h2c preface, then leaves {@code http1} and
     * the h2c upgrade handler (which every HTTP/1.1 message passes through) in the pipeline.
     */
    public static ChannelHandler front(HttpServerCodec http1) {
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol -> null,
                ConnectionInitializer.MAX_UPGRADE_BODY);
        return new CleartextHttp2ServerUpgradeHandler(http1, upgrade, new ChannelInboundHandlerAdapter());
    }
}
