package dev.trellis.testing;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Flattens Netty headers into what the echo bodies and test responses show: lower-case names in
 * arrival order, repeated values joined with {@code ", "}.
 */
final class HeaderMaps {

    /**
     * Headers Netty adds when it maps an HTTP/2 stream onto HTTP/1 objects, never sent by the peer:
     * its {@code x-http2-*} bookkeeping, and {@code transfer-encoding: chunked} for bodies of
     * unannounced length (HTTP/2 forbids the header itself).
     */
    private static final Set<String> ADDED_FOR_HTTP2 = Stream.concat(
                    Stream.of(ExtensionHeaderNames.values()).map(n -> n.text().toString()),
                    Stream.of(HttpHeaderNames.TRANSFER_ENCODING.toString()))
            .map(name -> name.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());

    private HeaderMaps() {
    }

    /**
     * @param overHttp2 whether the headers came from an HTTP/2 stream, whose headers added by
     *                  Netty are left out
     */
    static Map<String, String> flatten(HttpHeaders headers, boolean overHttp2) {
        Map<String, String> flat = new LinkedHashMap<>();
        for (Map.Entry<String, String> header : headers) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (overHttp2 && ADDED_FOR_HTTP2.contains(name)) {
                continue;
            }
            flat.merge(name, header.getValue(), (a, b) -> a + ", " + b);
        }
        return Collections.unmodifiableMap(flat);
    }
}
