package dev.trellis.proxy.http;

import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Makes a message that crosses protocols self-delimiting for an HTTP/1.1 peer. HTTP/2 frames
 * its bodies itself, so a message from HTTP/2 (or a close-delimited HTTP/1.0 response) may have
 * neither {@code Content-Length} nor {@code Transfer-Encoding}: it gets a length when its body is
 * already whole, and chunked encoding when the body is still streaming.
 */
public final class Framing {
    private Framing() {}

    /** For a response to an HTTP/1.1 client; {@code bodyless} for HEAD, 1xx, 204 and 304. */
    public static void responseForHttp1(HttpMessage response, boolean bodyless) {
        if (bodyless || hasFraming(response.headers())) {
            return;
        }
        if (response instanceof FullHttpMessage full) {
            HttpUtil.setContentLength(response, full.content().readableBytes());
        } else {
            HttpUtil.setTransferEncodingChunked(response, true);
        }
    }

    /** For a request from an HTTP/2 client going to an HTTP/1.1 server. */
    public static void requestFromHttp2(HttpMessage request) {
        if (hasFraming(request.headers())) {
            return;
        }
        if (request instanceof FullHttpMessage full) {
            if (full.content().isReadable()) {
                HttpUtil.setContentLength(request, full.content().readableBytes());
            }
        } else {
            HttpUtil.setTransferEncodingChunked(request, true);
        }
    }

    private static boolean hasFraming(HttpHeaders headers) {
        return headers.contains(HttpHeaderNames.CONTENT_LENGTH) || headers.contains(HttpHeaderNames.TRANSFER_ENCODING);
    }
}
