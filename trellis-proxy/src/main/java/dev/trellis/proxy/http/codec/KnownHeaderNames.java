package dev.trellis.proxy.http.codec;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;

/**
 * The header names a proxy sees on nearly every message, as shared lower-case constants: a decoded
 * field whose name is one of them costs no name object. Looked up straight from the received bytes,
 * ignoring case, in an open-addressed table.
 */
final class KnownHeaderNames {
    private static final AsciiString[] NAMES = {
        HttpHeaderNames.ACCEPT, HttpHeaderNames.ACCEPT_CHARSET, HttpHeaderNames.ACCEPT_ENCODING,
        HttpHeaderNames.ACCEPT_LANGUAGE, HttpHeaderNames.ACCEPT_RANGES, HttpHeaderNames.AGE,
        HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, HttpHeaderNames.AUTHORIZATION, HttpHeaderNames.CACHE_CONTROL,
        HttpHeaderNames.CONNECTION, HttpHeaderNames.CONTENT_ENCODING, HttpHeaderNames.CONTENT_LENGTH,
        HttpHeaderNames.CONTENT_RANGE, HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.COOKIE, HttpHeaderNames.DATE,
        HttpHeaderNames.ETAG, HttpHeaderNames.EXPECT, HttpHeaderNames.EXPIRES, HttpHeaderNames.HOST,
        HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_NONE_MATCH,
        HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.LAST_MODIFIED, HttpHeaderNames.LOCATION, HttpHeaderNames.ORIGIN,
        HttpHeaderNames.PRAGMA, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_CONNECTION,
        HttpHeaderNames.RANGE, HttpHeaderNames.REFERER, HttpHeaderNames.SERVER, HttpHeaderNames.SET_COOKIE,
        HttpHeaderNames.TE, HttpHeaderNames.TRAILER,
        HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.USER_AGENT, HttpHeaderNames.VARY,
        HttpHeaderNames.VIA, HttpHeaderNames.WWW_AUTHENTICATE, AsciiString.cached("x-forwarded-for"),
        HttpHeaderNames.SEC_WEBSOCKET_KEY, HttpHeaderNames.SEC_WEBSOCKET_VERSION, HttpHeaderNames.SEC_WEBSOCKET_ACCEPT,
        HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS,
        AsciiString.cached("forwarded"), AsciiString.cached("strict-transport-security"),
        AsciiString.cached("x-forwarded-proto"), AsciiString.cached("x-forwarded-host"),
        AsciiString.cached("x-real-ip"), AsciiString.cached("x-request-id"), AsciiString.cached("traceparent"),
        AsciiString.cached("tracestate"), AsciiString.cached("x-b3-traceid"), AsciiString.cached("x-b3-spanid"),
        AsciiString.cached("x-b3-parentspanid"), AsciiString.cached("x-b3-sampled"), AsciiString.cached("b3"),
        AsciiString.cached("grpc-timeout"), AsciiString.cached("grpc-encoding"), AsciiString.cached("grpc-accept-encoding"),
        AsciiString.cached("http2-settings"), AsciiString.cached("sec-fetch-mode"), AsciiString.cached("sec-fetch-site"),
        AsciiString.cached("sec-fetch-dest"), AsciiString.cached("dnt"), AsciiString.cached("priority"),
    };
    private static final int MASK = 255;
    private static final AsciiString[] TABLE = new AsciiString[MASK + 1];

    static {
        for (AsciiString name : NAMES) {
            byte[] bytes = name.toByteArray();
            int slot = hash(bytes, 0, bytes.length) & MASK;
            while (TABLE[slot] != null) {
                slot = (slot + 1) & MASK;
            }
            TABLE[slot] = name;
        }
    }

    private KnownHeaderNames() {}

    /** The constant for {@code bytes[from, from + length)} in any case, or null. */
    static AsciiString find(byte[] bytes, int from, int length) {
        int slot = hash(bytes, from, length) & MASK;
        for (AsciiString known; (known = TABLE[slot]) != null; slot = (slot + 1) & MASK) {
            if (known.length() == length && equalsIgnoreCase(known, bytes, from)) {
                return known;
            }
        }
        return null;
    }

    /** A header name is a token: lower-casing by setting bit 5 folds exactly the letters together. */
    private static int hash(byte[] bytes, int from, int length) {
        int h = length;
        for (int i = from, end = from + length; i < end; i++) {
            h = h * 31 + (bytes[i] | 0x20);
        }
        return h ^ (h >>> 16);
    }

    private static boolean equalsIgnoreCase(AsciiString lowerCase, byte[] bytes, int from) {
        byte[] known = lowerCase.array();
        int offset = lowerCase.arrayOffset();
        for (int i = 0, n = lowerCase.length(); i < n; i++) {
            byte b = bytes[from + i];
            if (b != known[offset + i] && (b < 'A' || b > 'Z' || (b | 0x20) != known[offset + i])) {
                return false;
            }
        }
        return true;
    }
}
