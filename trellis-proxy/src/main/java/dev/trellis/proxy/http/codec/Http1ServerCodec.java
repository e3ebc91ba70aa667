package dev.trellis.proxy.http.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
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

    /**
     * The kinds of the requests decoded and not yet answered, oldest first, two bits each: pipelined
     * requests are answered in order. Grows only for a client that pipelines more than 32.
     */
    static final class MethodQueue {
        static final int OTHER = 0;
        static final int HEAD = 1;
        static final int CONNECT = 2;

        private long[] slots = new long[1];
        private int head;
        private int size;

        void add(HttpMethod method) {
            int kind = HttpMethod.HEAD.equals(method) ? HEAD : HttpMethod.CONNECT.equals(method) ? CONNECT : OTHER;
            int capacity = slots.length * 32;
            if (size == capacity) {
                grow();
                capacity *= 2;
            }
            int at = (head + size) % capacity;
            slots[at >>> 5] |= (long) kind << ((at & 31) << 1);
            size++;
        }

        boolean isEmpty() {
            return size == 0;
        }

        /** The oldest request's kind, taken off; OTHER when none is waiting (a reply to nothing). */
        int poll() {
            if (size == 0) {
                return OTHER;
            }
            int shift = (head & 31) << 1;
            int kind = (int) (slots[head >>> 5] >>> shift) & 3;
            slots[head >>> 5] &= ~(3L << shift);
            head = (head + 1) % (slots.length * 32);
            size--;
            return kind;
        }

        private void grow() {
            long[] bigger = new long[slots.length * 2];
            int capacity = slots.length * 32;
            for (int i = 0; i < size; i++) {
                int from = (head + i) % capacity;
                int kind = (int) (slots[from >>> 5] >>> ((from & 31) << 1)) & 3;
                bigger[i >>> 5] |= (long) kind << ((i & 31) << 1);
            }
            slots = bigger;
            head = 0;
        }
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
