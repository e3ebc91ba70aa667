package dev.trellis.proxy.http;

import dev.trellis.proxy.http.codec.FieldValue;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.Map;

/**
 * An HTTP/2 request's head as the HTTP/1.1 request the rest of the path takes (RFC 9113 section
 * 8.3.1): {@code :authority} becomes {@code Host}, the {@code cookie} fields are joined into one,
 * the other pseudo-headers leave; and its trailers, which may have none. Netty's HTTP/2 decoder has checked the names (lowercase tokens,
 * no connection-specific fields) but not the values, which must not smuggle a line break into the
 * HTTP/1.1 request upstream: they are checked here, once, and the map is not checked again.
 */
final class Http2Requests {
    private Http2Requests() {}

    /**
     * @param endOfStream the stream ended with its headers: a whole request with no body; otherwise
     *     a head whose body follows, chunked upstream unless it has a {@code Content-Length}
     */
    static HttpRequest toHttp1(int streamId, Http2Headers in, boolean endOfStream) throws Http2Exception {
        CharSequence method = in.method();
        CharSequence path = in.path();
        CharSequence authority = in.authority();
        if (method == null) {
            throw malformed(streamId, "no :method");
        }
        boolean connect = HttpMethod.CONNECT.asciiName().contentEquals(method);
        if (connect ? authority == null : path == null) {
            throw malformed(streamId, connect ? "a CONNECT with no :authority" : "no :path");
        }
        HttpHeaders headers = SizedHeaders.CHECKED_ELSEWHERE.newHeaders();
        StringBuilder cookies = null;
        for (Map.Entry<CharSequence, CharSequence> field : in) {
            CharSequence name = field.getKey();
            CharSequence value = field.getValue();
            checkValue(streamId, name, value);
            if (name.length() > 0 && name.charAt(0) == ':') {
                continue;
            }
            if (HttpHeaderNames.COOKIE.contentEquals(name)) {
                cookies = cookies == null ? new StringBuilder(value) : cookies.append("; ").append(value);
            } else {
                headers.add(name, value);
            }
        }
        if (cookies != null) {
            headers.set(HttpHeaderNames.COOKIE, cookies.toString());
        }
        if (authority != null) {
            headers.set(HttpHeaderNames.HOST, authority);
        }
        HttpMethod httpMethod;
        try {
            httpMethod = HttpMethod.valueOf(method.toString());
        } catch (IllegalArgumentException e) {
            throw malformed(streamId, ":method is not a token");
        }
        String uri = connect ? authority.toString() : path.toString();
        if (endOfStream) {
            return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, httpMethod, uri, Unpooled.EMPTY_BUFFER,
                    headers, SizedHeaders.TRAILERS.newEmptyHeaders());
        }
        if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            headers.add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, httpMethod, uri, headers);
    }

    /** A request's trailers (its second HEADERS, which ends the stream) as the body's last piece. */
    static LastHttpContent trailers(int streamId, Http2Headers in) throws Http2Exception {
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, SizedHeaders.TRAILERS);
        for (Map.Entry<CharSequence, CharSequence> field : in) {
            CharSequence name = field.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                throw malformed(streamId, "a pseudo-header in trailers: " + name);
            }
            checkValue(streamId, name, field.getValue());
            last.trailingHeaders().add(name, field.getValue());
        }
        return last;
    }

    /** RFC 9110 section 5.5 ({@link FieldValue}): no control characters but horizontal tab. */
    private static void checkValue(int streamId, CharSequence name, CharSequence value) throws Http2Exception {
        for (int i = 0; i < value.length(); i++) {
            if (!FieldValue.allowed(value.charAt(i))) {
                throw malformed(streamId, "the value of " + name + " has a control character at " + i);
            }
        }
    }

    private static Http2Exception malformed(int streamId, String what) {
        return Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, "malformed request: %s", what);
    }
}
