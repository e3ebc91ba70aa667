package dev.trellis.proxy.listener;

import dev.trellis.proxy.http.codec.Http1ServerCodec;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import java.util.List;

/**
 * For the benchmarks (bench/jmh), in the listener's package so that it reads {@link ConnectionInitializer}'s
 * package-private limits: the handlers an accepted HTTP connection gets, as {@code ConnectionInitializer.initChannel}
 * builds them, minus the proxy's own handler and the HTTP/2 side (reached only by h2c requests, which the
 * benchmarks do not send). Keep in step with {@code initChannel}.
 */
public final class BenchListenerPipeline {
    private BenchListenerPipeline() {}

    /** The HTTP/1.1 codec of a downstream connection, configured as the listener configures it. */
    public static Http1ServerCodec http1Codec() {
        return ConnectionInitializer.http1Codec();
    }

    /**
     * The handlers of an HTTP connection: the h2c preface sniffer (which leaves after the first bytes),
     * then {@code http1} and the h2c upgrade handler, which every HTTP/1.1 message passes through.
     */
    public static ChannelHandler[] front(Http1ServerCodec http1) {
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol -> null,
                ConnectionInitializer.MAX_UPGRADE_BODY);
        return new ChannelHandler[] {
            new PrefaceSniffer(List.of(http1, upgrade), ChannelInboundHandlerAdapter::new), http1, upgrade,
        };
    }
}
