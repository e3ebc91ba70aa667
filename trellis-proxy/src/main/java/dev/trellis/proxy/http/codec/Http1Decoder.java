package dev.trellis.proxy.http.codec;

import static dev.trellis.proxy.http.codec.MalformedHttpException.badRequest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * What decoding HTTP/1.1 requests and responses shares, RFC 9112 read strictly: finding a head and
 * its limits, field lines, the framing fields, and the body, by length, chunked, until the
 * connection closes, or, after a switch of protocols, raw bytes. A message or body piece that breaks
 * a rule is handed on with a failed result, a {@link MalformedHttpException} naming the rule, and
 * nothing more is read: where the next message starts is unknown.
 *
 * <p>A head is copied once into a per-thread scratch array and parsed from there: known header
 * names become shared constants, values {@code AsciiString}s. Bodies are slices of the read buffer, never copied.
 */
abstract class Http1Decoder extends ByteToMessageDecoder {
    private enum State { HEAD, FIXED_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, RAW, BAD }

    static final byte CR = '\r';
    static final byte LF = '\n';
    /** A chunk-size line with its extensions; longer is refused rather than buffered. */
    private static final int MAX_CHUNK_SIZE_LINE = 4096;

    final Http1Limits limits;
    final HttpHeadersFactory headersFactory;
    private final HttpHeadersFactory trailersFactory;
    /** The requests of this connection not answered yet: received (a server's) or sent (a client's). */
    final MethodQueue methods;

    private State state = State.HEAD;
    /** In HEAD and TRAILERS: how far the search for the blank line got before the bytes ran out. */
    private int scanned;
    /** Where the field lines start, once the first line was found. */
    private int fieldsAt;
    private long remaining;

    // The framing fields of the head being parsed.
    int hosts;
    int contentLengths;
    long contentLength;
    String transferEncoding;

    Http1Decoder(Http1Limits limits, HttpHeadersFactory headersFactory, HttpHeadersFactory trailersFactory,
                 MethodQueue methods) {
        this.limits = limits;
        this.headersFactory = headersFactory;
        this.trailersFactory = trailersFactory;
        this.methods = methods;
    }

    /**
     * Parses the head in {@code head[0, length)}, its blank line included, and hands on its message,
     * choosing how its body is framed ({@link #bodyOfLength}, {@link #chunkedBody}, ...).
     */
    abstract void head(byte[] head, int length, List<Object> out);

    /** The message a refused head is handed on as, its result failed. */
    abstract HttpMessage refusedHead();

    /** What to answer for a first line longer than the limit, and for field lines larger. */
    abstract MalformedHttpException tooLong(boolean firstLine);

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
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
                ByteBuf piece = nextPiece(in);
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
                out.add(new DefaultHttpContent(nextPiece(in)));
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
            case UNTIL_CLOSE:
                out.add(new DefaultHttpContent(in.readRetainedSlice(Math.min(in.readableBytes(), limits.maxChunk()))));
                return true;
            case RAW:
                out.add(in.readRetainedSlice(in.readableBytes()));
                return false;
            default:
                in.skipBytes(in.readableBytes());
                return false;
        }
    }

    /** What has arrived of the rest of a length or a chunk, at most a piece's worth. */
    private ByteBuf nextPiece(ByteBuf in) {
        int n = (int) Math.min(Math.min(remaining, in.readableBytes()), limits.maxChunk());
        remaining -= n;
        return in.readRetainedSlice(n);
    }

    // Heads.

    private boolean head(ByteBuf in, List<Object> out) {
        if (scanned == 0) {
            skipEmptyLines(in); // RFC 9112 2.2: empty lines before a message are ignored
            if (!in.isReadable()) {
                return false;
            }
        }
        int length = takeBlock(in, true);
        if (length < 0) {
            return false;
        }
        hosts = 0;
        contentLengths = 0;
        contentLength = 0;
        transferEncoding = null;
        head(Scratch.of(length), length, out);
        return true;
    }

    // How the message just handed on frames its body.

    /** A body of {@code length} bytes; none when 0. */
    final void bodyOfLength(long length, List<Object> out) {
        if (length == 0) {
            noBody(out);
        } else {
            remaining = length;
            state = State.FIXED_BODY;
        }
    }

    final void chunkedBody() {
        state = State.CHUNK_SIZE;
    }

    final void noBody(List<Object> out) {
        out.add(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** A response body delimited by the connection closing. */
    final void bodyUntilClose() {
        state = State.UNTIL_CLOSE;
    }

    /** The connection switched protocols: what follows is handed on as it comes, until this decoder is removed. */
    final void raw(List<Object> out) {
        out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        state = State.RAW;
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
    private int takeBlock(ByteBuf in, boolean firstLine) {
        int length = blockLength(in, firstLine);
        if (length >= 0) {
            in.readBytes(Scratch.of(length), 0, length);
            scanned = 0;
        }
        return length;
    }

    /**
     * The length of a head (with {@code hasFirstLine}) or of a trailer block from the reader index
     * to its blank line inclusive, or -1 when it has not all arrived. Checks that every line ends in
     * CRLF, the first line is at most {@code maxInitialLine} bytes and the field lines at most {@code maxHead}.
     */
    private int blockLength(ByteBuf in, boolean hasFirstLine) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int lineStart = start + scanned;
        while (true) {
            boolean firstLine = hasFirstLine && lineStart == start;
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

    /** The end of the first line of {@code head}, at its CR. */
    static int firstLineEnd(byte[] head, int length) {
        int lineEnd = indexOf(head, 0, length, CR);
        if (head[lineEnd + 1] != LF) {
            throw badRequest("bare CR in the first line");
        }
        return lineEnd;
    }

    /** A head's fields, from after its first line to its blank line. */
    final HttpHeaders fields(byte[] head, int firstLineEnd, int length) {
        HttpHeaders headers = headersFactory.newHeaders();
        parseFields(head, firstLineEnd + 2, length - 2, headers, true);
        return headers;
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
            AsciiString value = Http1Syntax.value(head, colon + 1, lineEnd);
            if (framing) {
                if (name == HttpHeaderNames.HOST) {
                    hosts++;
                } else if (name == HttpHeaderNames.CONTENT_LENGTH) {
                    contentLengths++;
                    contentLength = Http1Syntax.contentLength(value);
                } else if (name == HttpHeaderNames.TRANSFER_ENCODING) {
                    transferEncoding = transferEncoding == null ? value.toString() : transferEncoding + "," + value;
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
    static int indexOf(byte[] bytes, int from, int to, byte b) {
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
        fieldsAt = 0; // trailer fields, then the blank line: the same search, with no first line
        int length = takeBlock(in, false);
        if (length < 0) {
            return false;
        }
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailersFactory);
        parseFields(Scratch.of(length), 0, length - 2, last.trailingHeaders(), false);
        out.add(last);
        state = State.HEAD;
        return true;
    }

    // Ends.

    /** Hands on the refusal as the failed result of the message or body piece under way; reads no more. */
    private void fail(MalformedHttpException cause, List<Object> out) {
        if (state == State.HEAD) {
            HttpMessage refused = refusedHead();
            refused.setDecoderResult(DecoderResult.failure(cause));
            out.add(refused);
        } else {
            LastHttpContent broken = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailersFactory);
            broken.setDecoderResult(DecoderResult.failure(cause));
            out.add(broken);
        }
        state = State.BAD;
        scanned = 0;
    }

    /**
     * At the connection's close: a body delimited by it ends; the pieces of another body that did
     * arrive are handed on, and a head cut short is dropped (its sender is gone, or going).
     */
    @Override
    protected final void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (state == State.HEAD) {
            in.skipBytes(in.readableBytes());
            return;
        }
        decode(ctx, in, out);
        if (state == State.UNTIL_CLOSE) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            state = State.HEAD;
        }
    }
}
