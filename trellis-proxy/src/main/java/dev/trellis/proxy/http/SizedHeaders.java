package dev.trellis.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * The header maps the HTTP/1.1 decoders make for every message, sized for what a proxied message
 * carries: Netty's default gives each map a 16-bucket table, and gives every body's last piece a
 * trailer map of the same size though nearly none has trailers. Validation is Netty's own.
 */
public final class SizedHeaders implements HttpHeadersFactory {
    /** Request and response heads: a handful of fields; a map grows its chains, not its table. */
    public static final HttpHeadersFactory MESSAGES = new SizedHeaders(DefaultHttpHeadersFactory.headersFactory(), 8);

    /**
     * Request heads checked as they were read: from HTTP/1.1 by {@code Http1RequestDecoder}; from HTTP/2,
     * whose names the HTTP/2 decoder checked and whose values {@link Http2Requests} did.
     */
    public static final HttpHeadersFactory CHECKED_ELSEWHERE =
            new SizedHeaders(DefaultHttpHeadersFactory.headersFactory().withValidation(false), 8);

    /** Trailers: gRPC sends two or three, everything else none. */
    public static final HttpHeadersFactory TRAILERS = new SizedHeaders(DefaultHttpHeadersFactory.trailersFactory(), 2);

    private final DefaultHttpHeadersFactory validation;
    private final int buckets;

    private SizedHeaders(DefaultHttpHeadersFactory validation, int buckets) {
        this.validation = validation;
        this.buckets = buckets;
    }

    @Override
    public HttpHeaders newHeaders() {
        return new Sized(validation, buckets);
    }

    @Override
    public HttpHeaders newEmptyHeaders() {
        return new Sized(validation, 2);
    }

    /** Netty's map with a chosen table size, which only a subclass may ask for. */
    private static final class Sized extends DefaultHttpHeaders {
        Sized(DefaultHttpHeadersFactory validation, int buckets) {
            super(validation.getNameValidator(), validation.getValueValidator(), buckets);
        }
    }
}
