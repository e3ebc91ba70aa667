package dev.trellis.proxy.http.codec;

import static dev.trellis.proxy.http.codec.MalformedHttpException.badRequest;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;

/**
 * Decodes HTTP/1.1 requests as RFC 9112 frames them, and nothing looser: a request is refused
 * when its length is ambiguous (two {@code Content-Length}s, both {@code Content-Length} and
 * {@code Transfer-Encoding}, {@code chunked} not the final coding, {@code Transfer-Encoding} in
 * HTTP/1.0), when an HTTP/1.1 request has no or several {@code Host}s, a line ends in a bare LF or
 * holds a bare CR, a field line is folded or has space before its colon, a value or the target holds
 * a control character, or a chunk size is anything but hex digits. The refusal's
 * {@link MalformedHttpException} names the status to answer: 400, 414 and 431 for what is too
 * long, 501 for a transfer coding other than chunked, 505 for a version other than 1.0 and 1.1.
 */
final class Http1RequestDecoder extends Http1Decoder {
    Http1RequestDecoder(Http1Limits limits, HttpHeadersFactory headersFactory, HttpHeadersFactory trailersFactory,
                        MethodQueue methods) {
        super(limits, headersFactory, trailersFactory, methods);
    }

    @Override
    void head(byte[] head, int length, List<Object> out) {
        HttpRequest request = parse(head, length);
        methods.add(request.method());
        out.add(request);
        if (transferEncoding != null) {
            chunkedBody();
        } else {
            bodyOfLength(contentLength, out);
        }
    }

    private HttpRequest parse(byte[] head, int length) {
        // request-line = method SP request-target SP HTTP-version CRLF
        int lineEnd = firstLineEnd(head, length);
        int sp1 = indexOf(head, 0, lineEnd, (byte) ' ');
        if (sp1 <= 0) {
            throw badRequest("request line without a method");
        }
        HttpMethod method = Http1Syntax.method(head, sp1);
        int sp2 = indexOf(head, sp1 + 1, lineEnd, (byte) ' ');
        if (sp2 < 0 || sp2 == sp1 + 1) {
            throw badRequest("request line without a request target");
        }
        String target = Http1Syntax.target(head, sp1 + 1, sp2);
        HttpVersion version = Http1Syntax.version(head, sp2 + 1, lineEnd);
        HttpHeaders headers = fields(head, lineEnd, length);
        if (transferEncoding != null) {
            if (version == HttpVersion.HTTP_1_0) {
                throw badRequest("Transfer-Encoding in an HTTP/1.0 request");
            }
            if (contentLengths > 0) {
                throw badRequest("both Content-Length and Transfer-Encoding");
            }
            Http1Syntax.checkChunkedOnly(transferEncoding);
        }
        if (contentLengths > 1) {
            throw badRequest("more than one Content-Length");
        }
        if (hosts > 1 || (hosts == 0 && version == HttpVersion.HTTP_1_1)) {
            throw badRequest(hosts == 0 ? "HTTP/1.1 request without Host" : "more than one Host");
        }
        return new DefaultHttpRequest(version, method, target, headers);
    }

    @Override
    HttpMessage refusedHead() {
        methods.add(HttpMethod.GET);
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request", headersFactory.newEmptyHeaders());
    }

    @Override
    MalformedHttpException tooLong(boolean firstLine) {
        return firstLine
                ? new MalformedHttpException(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                        "request line longer than " + limits.maxInitialLine() + " bytes")
                : new MalformedHttpException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "header fields larger than " + limits.maxHead() + " bytes");
    }
}
