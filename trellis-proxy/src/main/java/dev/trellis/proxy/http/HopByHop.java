package dev.trellis.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Removes the headers that belong to one connection, not to the message (RFC 9110 section 7.6.1):
 * {@code Connection} and every field it names, {@code Keep-Alive}, {@code Proxy-Connection},
 * {@code TE} (but {@code TE: trailers}, which gRPC needs end to end), {@code Upgrade} (unless the
 * request is being upgraded) and {@code HTTP2-Settings}; plus the {@code x-http2-*} names Netty
 * uses internally when it converts HTTP/2 to HTTP/1.x objects. Framing
 * ({@code Transfer-Encoding}) is left to {@link Framing}.
 */
public final class HopByHop {
    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
    private static final String NETTY_HTTP2_PREFIX = "x-http2-";

    private HopByHop() {}

    /**
     * @param keepUpgrade keep {@code Connection: upgrade} and {@code Upgrade} (WebSocket handshake)
     * @param fromHttp2 the message was converted from HTTP/2 and may carry Netty's names
     */
    public static void strip(HttpHeaders headers, boolean keepUpgrade, boolean fromHttp2) {
        String connection = headers.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            removeNamedIn(connection, headers, keepUpgrade);
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        headers.remove(KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(HTTP2_SETTINGS);
        if (keepUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        } else {
            headers.remove(HttpHeaderNames.UPGRADE);
        }
        String te = headers.get(HttpHeaderNames.TE);
        if (te != null) {
            headers.remove(HttpHeaderNames.TE);
            if (te.toLowerCase(Locale.ROOT).contains("trailers")) {
                headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
            }
        }
        if (fromHttp2) {
            removeNettyHttp2Names(headers);
        }
    }

    /** Removes every field the comma-separated {@code connection} names; no copy for a single name. */
    private static void removeNamedIn(String connection, HttpHeaders headers, boolean keepUpgrade) {
        int start = 0;
        while (start < connection.length()) {
            int comma = connection.indexOf(',', start);
            int end = comma < 0 ? connection.length() : comma;
            String name = connection.substring(start, end).trim();
            if (!name.isEmpty() && !(keepUpgrade && name.equalsIgnoreCase("upgrade"))) {
                headers.remove(name);
            }
            start = end + 1;
        }
    }

    private static void removeNettyHttp2Names(HttpHeaders headers) {
        List<String> names = null;
        for (String name : headers.names()) {
            if (name.regionMatches(true, 0, NETTY_HTTP2_PREFIX, 0, NETTY_HTTP2_PREFIX.length())) {
                (names == null ? names = new ArrayList<>(2) : names).add(name);
            }
        }
        if (names != null) {
            names.forEach(headers::remove);
        }
    }
}
