package dev.trellis.proxy.http.codec;

import static dev.trellis.proxy.http.codec.MalformedHttpException.badRequest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Decodes HTTP/1.1 requests as RFC 9112 frames them, and nothing looser: a request is refused
 * (the failed result of a {@link HttpRequest} or of a body's {@link LastHttpContent}, a
 * {@link MalformedHttpException} naming the status to answer) when its length is ambiguous
 * (two {@code Content-Length}s, both {@code Content-Length} and {@code Transfer-Encoding},
 * {@code chunked} not the final coding, {@code Transfer-Encoding} in HTTP/1.0), when an HTTP/1.1
 * request has no or several {@code Host}s, a line ends in a bare LF or holds a bare CR, a field
 * line is folded or has space before its colon, a value holds a control character, or a chunk
 * size is anything but hex digits. After a refusal it reads nothing more: where the next request
 * starts is unknown.
 *
 * <p>A head is copied once into a per-thread scratch array and parsed from there: known header
 * names become shared constants, values strings. Bodies are slices of the read buffer, never copied.
 */
public final class Http1RequestDecoder extends ByteToMessageDecoder {
    private enum State { HEAD, FIXED_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, BAD }

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    /** A chunk-size line with its extensions; longer is refused rather than buffered. */
    private static final int MAX_CHUNK_SIZE_LINE = 4096;

    private final Http1Limits limits;
    private final HttpHeadersFactory headersFactory;
    private final HttpHeadersFactory trailersFactory;
    private final Http1ServerCodec.MethodQueue methods;

    private State state = State.HEAD;
    /** In HEAD and TRAILERS: how far the search for the blank line got before the bytes ran out. */
    private int scanned;
    /** Where the field lines start, once the first line was found. */
    private int fieldsAt;
    private long remaining;

    // The framing fields of the head being parsed.
    private int hosts;
    private int contentLengths;
    private long contentLength;
    private String transferEncoding;

    Http1RequestDecoder(Http1Limits limits, HttpHeadersFactory headersFactory, HttpHeadersFactory trailersFactory,
                        Http1ServerCodec.MethodQueue methods) {
        this.limits = limits;
        this.headersFactory = headersFactory;
        this.trailersFactory = trailersFactory;
        this.methods = methods;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (in.isReadable() && decodeOne(in, out)) {
                // one message or body piece per turn
            }
        } catch (MalformedHttpException e) {
            fail(e, out);
            in.skipBytes(in.readableBytes());
        }
    }

    /** Decodes what it can of the current state; false when more bytes are needed. */
    private boolean decodeOne(ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD:
                return head(in, out);
            case FIXED_BODY: {
                int n = (int) Math.min(Math.min(remaining, in.readableBytes()), limits.maxChunk());
                remaining -= n;
                ByteBuf piece = in.readRetainedSlice(n);
                if (remaining == 0) {
                    out.add(new DefaultLastHttpContent(piece, trailersFactory));
                    state = State.HEAD;
                } else {
                    out.add(new DefaultHttpContent(piece));
                }
                return true;
            }
            case CHUNK_SIZE:
                return chunkSize(in);
            case CHUNK_DATA: {
                int n = (int) Math.min(Math.min(remaining, in.readableBytes()), limits.maxChunk());
                remaining -= n;
                out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                if (remaining == 0) {
                    state = State.CHUNK_END;
                }
                return true;
            }
            case CHUNK_END:
                if (in.readableBytes() < 2) {
                    return false;
                }
                if (in.readByte() != CR || in.readByte() != LF) {
                    throw badRequest("chunk data not followed by CRLF");
                }
                state = State.CHUNK_SIZE;
                return true;
            case TRAILERS:
                return trailers(in, out);
            default:
                in.skipBytes(in.readableBytes());
                return false;
        }
    }

    // The head.

    private boolean head(ByteBuf in, List<Object> out) {
        if (scanned == 0) {
            skipEmptyLines(in); // RFC 9112 2.2: a server ignores CRLFs before a request-line
            if (!in.isReadable()) {
                return false;
            }
        }
        int length = takeBlock(in, true);
        if (length < 0) {
            return false;
        }
        byte[] head = Scratch.of(length);
        HttpRequest request = parseRequest(head, length);
        methods.add(request.method());
        out.add(request);
        if (transferEncoding != null) {
            state = State.CHUNK_SIZE;
        } else if (contentLength > 0) {
            remaining = contentLength;
            state = State.FIXED_BODY;
        } else {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        return true;
    }

    private static void skipEmptyLines(ByteBuf in) {
        int i = in.readerIndex();
        int end = in.writerIndex();
        while (i + 1 < end && in.getByte(i) == CR && in.getByte(i + 1) == LF) {
            i += 2;
        }
        in.readerIndex(i);
    }

    /** Copies a whole head or trailer block into this thread's scratch array; its length, or -1 until it has all arrived. */
    private int takeBlock(ByteBuf in, boolean requestLine) {
        int length = headLength(in, requestLine);
        if (length >= 0) {
            in.readBytes(Scratch.of(length), 0, length);
            scanned = 0;
        }
        return length;
    }

    /**
     * The length of a head (with {@code requestLine}) or of a trailer block from the reader index to
     * its blank line inclusive, or -1 when it has not all arrived. Checks that every line ends in CRLF,
     * the request line is at most {@code maxInitialLine} bytes and the field lines at most {@code maxHead}.
     */
    private int headLength(ByteBuf in, boolean requestLine) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int lineStart = start + scanned;
        while (true) {
            boolean firstLine = requestLine && lineStart == start;
            int limit = firstLine ? start + limits.maxInitialLine() : start + fieldsAt + limits.maxHead();
            int lf = in.indexOf(lineStart, Math.min(end, limit + 1), LF);
            if (lf < 0) {
                if (end > limit) {
                    throw tooLong(firstLine);
                }
                scanned = lineStart - start;
                return -1;
            }
            if (lf == lineStart || in.getByte(lf - 1) != CR) {
                throw badRequest("line ending in a bare LF");
            }
            if (firstLine) {
                fieldsAt = lf + 1 - start;
            } else if (lf == lineStart + 1) {
                return lf + 1 - start; // the blank line
            }
            lineStart = lf + 1;
        }
    }

    private MalformedHttpException tooLong(boolean firstLine) {
        return firstLine
                ? new MalformedHttpException(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                        "request line longer than " + limits.maxInitialLine() + " bytes")
                : new MalformedHttpException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "header fields larger than " + limits.maxHead() + " bytes");
    }

    private HttpRequest parseRequest(byte[] head, int length) {
        // request-line = method SP request-target SP HTTP-version CRLF
        int lineEnd = indexOf(head, 0, length, CR);
        if (head[lineEnd + 1] != LF) {
            throw badRequest("bare CR in the request line");
        }
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

        hosts = 0;
        contentLengths = 0;
        contentLength = 0;
        transferEncoding = null;
        HttpHeaders headers = headersFactory.newHeaders();
        parseFields(head, lineEnd + 2, length - 2, headers, true);

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

    /** Field lines from {@code from} up to {@code end}, each ending in CRLF (already checked). */
    private void parseFields(byte[] head, int from, int end, HttpHeaders into, boolean framing) {
        int line = from;
        while (line < end) {
            int lineEnd = indexOf(head, line, end, CR);
            if (head[lineEnd + 1] != LF) {
                throw badRequest("bare CR in a header field");
            }
            byte first = head[line];
            if (first == ' ' || first == '\t') {
                throw badRequest("obsolete line folding");
            }
            int colon = indexOf(head, line, lineEnd, (byte) ':');
            if (colon < 0) {
                throw badRequest("header line without a colon");
            }
            var name = Http1Syntax.name(head, line, colon);
            String value = Http1Syntax.value(head, colon + 1, lineEnd);
            if (framing) {
                if (name == HttpHeaderNames.HOST) {
                    hosts++;
                } else if (name == HttpHeaderNames.CONTENT_LENGTH) {
                    contentLengths++;
                    contentLength = Http1Syntax.contentLength(value);
                } else if (name == HttpHeaderNames.TRANSFER_ENCODING) {
                    transferEncoding = transferEncoding == null ? value : transferEncoding + "," + value;
                }
                into.add(name, value);
            } else if (name != HttpHeaderNames.CONTENT_LENGTH && name != HttpHeaderNames.TRANSFER_ENCODING
                    && name != HttpHeaderNames.TRAILER) {
                into.add(name, value); // framing fields are not trailers' to set (RFC 9110 6.5.1)
            }
            line = lineEnd + 2;
        }
    }

    /** The first index of {@code b} in {@code [from, to)}, or -1. */
    private static int indexOf(byte[] bytes, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    // Chunked bodies.

    private boolean chunkSize(ByteBuf in) {
        int start = in.readerIndex();
        int lf = in.indexOf(start, Math.min(in.writerIndex(), start + MAX_CHUNK_SIZE_LINE), LF);
        if (lf < 0) {
            if (in.readableBytes() >= MAX_CHUNK_SIZE_LINE) {
                throw badRequest("chunk size line longer than " + MAX_CHUNK_SIZE_LINE + " bytes");
            }
            return false;
        }
        if (lf == start || in.getByte(lf - 1) != CR) {
            throw badRequest("chunk size line ending in a bare LF");
        }
        long size = Http1Syntax.chunkSize(in, start, lf - 1);
        in.readerIndex(lf + 1);
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
        return true;
    }

    private boolean trailers(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        if (in.readableBytes() >= 2 && in.getByte(start) == CR && in.getByte(start + 1) == LF) {
            in.skipBytes(2);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            state = State.HEAD;
            return true;
        }
        fieldsAt = 0; // trailer fields, then the blank line: the same search, with no request line
        int length = takeBlock(in, false);
        if (length < 0) {
            return false;
        }
        byte[] block = Scratch.of(length);
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailersFactory);
        parseFields(block, 0, length - 2, last.trailingHeaders(), false);
        out.add(last);
        state = State.HEAD;
        return true;
    }

    // Refusal.

    /** Hands on the refusal as the failed result of the message or body piece under way; reads no more. */
    private void fail(MalformedHttpException cause, List<Object> out) {
        if (state == State.HEAD) {
            HttpRequest bad = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request",
                    headersFactory.newEmptyHeaders());
            bad.setDecoderResult(DecoderResult.failure(cause));
            methods.add(HttpMethod.GET);
            out.add(bad);
        } else {
            LastHttpContent broken = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailersFactory);
            broken.setDecoderResult(DecoderResult.failure(cause));
            out.add(broken);
        }
        state = State.BAD;
        scanned = 0;
    }

    /** A request cut off by the connection closing is not handed on: its client is gone. */
    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (state == State.HEAD) {
            in.skipBytes(in.readableBytes());
        } else {
            decode(ctx, in, out); // the body pieces that did arrive
        }
    }
}
