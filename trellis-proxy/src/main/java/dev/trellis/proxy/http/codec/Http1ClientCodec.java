package dev.trellis.proxy.http.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import java.util.List;

/**
 * The client side of an upstream HTTP/1.1 connection: Netty's request encoder out,
 * {@link Http1ResponseDecoder} in, told which request each response answers so that the answer
 * to a HEAD is read without a body and the answer to a CONNECT as a tunnel.
 */
public final class Http1ClientCodec extends CombinedChannelDuplexHandler<Http1ResponseDecoder, HttpRequestEncoder> {
    private final MethodQueue sent = new MethodQueue();

    public Http1ClientCodec(Http1Limits limits, HttpHeadersFactory headers, HttpHeadersFactory trailers) {
        init(new Http1ResponseDecoder(limits, headers, trailers, sent), new RequestEncoder(sent));
    }

    /** The requests sent and not yet answered. */
    MethodQueue unanswered() {
        return sent;
    }

    private static final class RequestEncoder extends HttpRequestEncoder {
        private final MethodQueue sent;

        RequestEncoder(MethodQueue sent) {
            this.sent = sent;
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                sent.add(request.method());
            }
            super.encode(ctx, msg, out);
        }
    }
}
