package dev.trellis.proxy.http.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * The server side of an HTTP/1.1 connection: {@link Http1RequestDecoder} in, Netty's response
 * encoder out, told which request each response answers so that the answer to a HEAD (or to a
 * CONNECT) is written without a body whatever its framing fields say.
 */
public final class Http1ServerCodec extends CombinedChannelDuplexHandler<Http1RequestDecoder, HttpResponseEncoder>
        implements HttpServerUpgradeHandler.SourceCodec {

    private final MethodQueue methods = new MethodQueue();

    public Http1ServerCodec(Http1Limits limits, HttpHeadersFactory headers, HttpHeadersFactory trailers) {
        init(new Http1RequestDecoder(limits, headers, trailers, methods), new ResponseEncoder(methods));
    }

    /** Leaves the pipeline to HTTP/2 once the client upgraded to h2c. */
    @Override
    public void upgradeFrom(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
    }

    /** The requests decoded and not yet answered. */
    MethodQueue unanswered() {
        return methods;
    }

    private static final class ResponseEncoder extends HttpResponseEncoder {
        private final MethodQueue methods;
        private int answering;

        ResponseEncoder(MethodQueue methods) {
            this.methods = methods;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse response) {
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(response); // not the final answer: the request stays queued
            }
            answering = methods.poll();
            return answering == MethodQueue.HEAD || super.isContentAlwaysEmpty(response);
        }

        /** A 2xx to CONNECT turns the connection into a tunnel: it has no body to frame (RFC 9110 9.3.6). */
        @Override
        protected void sanitizeHeadersBeforeEncode(HttpResponse response, boolean alwaysEmpty) {
            if (!alwaysEmpty && answering == MethodQueue.CONNECT
                    && response.status().codeClass() == HttpStatusClass.SUCCESS) {
                response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                return;
            }
            super.sanitizeHeadersBeforeEncode(response, alwaysEmpty);
        }
    }
}
