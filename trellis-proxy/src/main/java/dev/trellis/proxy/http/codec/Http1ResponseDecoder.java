package dev.trellis.proxy.http.codec;

import static dev.trellis.proxy.http.codec.MalformedHttpException.badRequest;

import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;

/**
 * Decodes the responses an upstream HTTP/1.1 server sends, framed as RFC 9112 section 6.3 says:
 * no body for the answer to a HEAD, a 1xx, 204 or 304; after a 101 to another protocol, or a 2xx
 * to CONNECT, raw bytes; else chunked when {@code chunked} is the final coding, a body of
 * {@code Content-Length} bytes, or one that ends when the connection closes. Refused (its
 * {@link MalformedHttpException} names the rule; the statuses it carries are meaningless here):
 * two {@code Content-Length}s, both {@code Content-Length} and {@code Transfer-Encoding},
 * {@code Transfer-Encoding} in HTTP/1.0, and the line and field rules requests follow.
 */
final class Http1ResponseDecoder extends Http1Decoder {
    Http1ResponseDecoder(Http1Limits limits, HttpHeadersFactory headersFactory, HttpHeadersFactory trailersFactory,
                         MethodQueue methods) {
        super(limits, headersFactory, trailersFactory, methods);
    }

    @Override
    void head(byte[] head, int length, List<Object> out) {
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
        int lineEnd = firstLineEnd(head, length);
        if (lineEnd < 12 || head[8] != ' ') {
            throw badRequest("status line without a version and a status code");
        }
        HttpVersion version = Http1Syntax.version(head, 0, 8);
        HttpResponseStatus status = Http1Syntax.status(head, 9, lineEnd);
        HttpHeaders headers = fields(head, lineEnd, length);
        HttpResponse response = new DefaultHttpResponse(version, status, headers);
        int code = status.code();
        if (code < 200) {
            // An interim answer, which leaves its request waiting; or 101, after which this is not HTTP/1.1.
            out.add(response);
            if (code == 101 && switchesAwayFromHttp1(headers)) {
                methods.poll();
                raw(out);
            } else {
                noBody(out);
            }
            return;
        }
        int answered = methods.poll();
        if (answered == MethodQueue.CONNECT && code < 300) {
            out.add(response);
            raw(out); // a tunnel
            return;
        }
        checkFraming(version);
        out.add(response);
        if (answered == MethodQueue.HEAD || code == 204 || code == 304) {
            noBody(out);
        } else if (transferEncoding != null) {
            if (Http1Syntax.endsInChunked(transferEncoding)) {
                chunkedBody();
            } else {
                bodyUntilClose(); // RFC 9112 6.3: chunked not last, the close delimits it
            }
        } else if (contentLengths == 1) {
            bodyOfLength(contentLength, out);
        } else {
            bodyUntilClose();
        }
    }

    private void checkFraming(HttpVersion version) {
        if (transferEncoding != null) {
            if (version == HttpVersion.HTTP_1_0) {
                throw badRequest("Transfer-Encoding in an HTTP/1.0 response");
            }
            if (contentLengths > 0) {
                throw badRequest("both Content-Length and Transfer-Encoding");
            }
        }
        if (contentLengths > 1) {
            throw badRequest("more than one Content-Length");
        }
    }

    private static boolean switchesAwayFromHttp1(HttpHeaders headers) {
        String protocol = headers.get(HttpHeaderNames.UPGRADE);
        return protocol == null || !protocol.contains("HTTP/1.");
    }

    @Override
    HttpMessage refusedHead() {
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY, headersFactory.newEmptyHeaders());
    }

    @Override
    MalformedHttpException tooLong(boolean firstLine) {
        return badRequest(firstLine
                ? "status line longer than " + limits.maxInitialLine() + " bytes"
                : "header fields larger than " + limits.maxHead() + " bytes");
    }
}
