package dev.trellis.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * Builds the proxy's own HTTP/2 connection handlers, client side and server side, whose streams are
 * plain objects of the handler rather than channels. Netty's builder lets only a subclass choose
 * the handler class; this is that subclass, for any of them.
 */
public final class Http2Handlers<T extends Http2ConnectionHandler>
        extends AbstractHttp2ConnectionHandlerBuilder<T, Http2Handlers<T>> {

    /** Makes the handler from the codec's parts, as {@link Http2ConnectionHandler}'s constructor takes them. */
    public interface Factory<T> {
        T create(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings);
    }

    /**
     * What the connection-level window is widened to, in bytes, once the peer's first SETTINGS came:
     * 1 MiB, 16 times a stream's 64 KiB, as Envoy's edge settings have it. A stream whose reader is
     * slow has its window held back, which holds the connection's too: at HTTP/2's default 64 KiB
     * for both, one such stream would stall every other stream of the connection.
     */
    public static final int CONNECTION_WINDOW = 1 << 20;

    private final Factory<T> factory;

    private Http2Handlers(Factory<T> factory) {
        this.factory = factory;
    }

    /**
     * A connection whose streams share its window evenly: peers here send no priorities worth the
     * cost of Netty's default, a weighted tree walked on every stream's start and end.
     */
    public static Http2Connection connection(boolean server) {
        Http2Connection connection = new DefaultHttp2Connection(server);
        connection.remote().flowController(
                new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
        return connection;
    }

    /** Gives the peer {@link #CONNECTION_WINDOW} to send on the whole connection; the WINDOW_UPDATE goes out with the next flush. */
    public static void widenConnectionWindow(Http2Connection connection) throws Http2Exception {
        Http2Stream whole = connection.connectionStream();
        Http2LocalFlowController flow = connection.local().flowController();
        int more = CONNECTION_WINDOW - flow.windowSize(whole);
        if (more > 0) {
            flow.incrementWindowSize(whole, more);
        }
    }

    /** @param drainMillis how long a graceful shutdown waits for open streams; negative for Netty's default */
    public static <T extends Http2ConnectionHandler> T build(Http2Connection connection, Http2Settings settings,
                                                             long drainMillis, Factory<T> factory) {
        Http2Handlers<T> builder = new Http2Handlers<>(factory).connection(connection).initialSettings(settings);
        if (drainMillis >= 0) {
            builder.gracefulShutdownTimeoutMillis(drainMillis);
        }
        return builder.build();
    }

    @Override
    protected T build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
        return factory.create(decoder, encoder, settings);
    }

    /** A DATA frame's payload as the body piece the rest of the path takes, retained: the last one if it ends the stream. */
    public static HttpContent content(ByteBuf data, boolean endOfStream) {
        return endOfStream ? new DefaultLastHttpContent(data.retain()) : new DefaultHttpContent(data.retain());
    }

    /** A frame listener to which a HEADERS frame with priority information is a HEADERS frame: priorities are not used here. */
    public abstract static class FrameListener extends Http2EventAdapter {
        @Override
        public abstract void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                           boolean endOfStream) throws Http2Exception;

        @Override
        public final void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                                        short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }
    }
}
