package dev.trellis.proxy.http.codec;

import static dev.trellis.proxy.http.codec.MalformedHttpException.badRequest;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The pieces of an HTTP/1.1 head, each checked against RFC 9110/9112's grammar as it is read. */
final class Http1Syntax {
    /** tchar: the characters of a token (method, field name, transfer coding). */
    private static final boolean[] TOKEN = new boolean[256];
    /** Characters allowed in a request target: visible ASCII and obs-text, no space or controls. */
    private static final boolean[] TARGET = new boolean[256];
    /** Characters allowed in a field value, a reason phrase or a chunk extension: {@link FieldValue}'s. */
    private static final boolean[] FIELD_VALUE = new boolean[256];
    private static final HttpMethod[] COMMON_METHODS = {
        HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.HEAD, HttpMethod.OPTIONS,
        HttpMethod.PATCH, HttpMethod.CONNECT, HttpMethod.TRACE,
    };
    /** Longest Content-Length accepted: 18 digits cannot overflow a long. */
    private static final int MAX_LENGTH_DIGITS = 18;
    /** Longest chunk size: 15 hex digits cannot overflow a long either. */
    private static final int MAX_CHUNK_SIZE_DIGITS = 15;

    static {
        for (int c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
        for (int c = 0; c < 256; c++) {
            FIELD_VALUE[c] = FieldValue.allowed(c);
            TARGET[c] = c > ' ' && c != 0x7F;
        }
    }

    private Http1Syntax() {}

    static HttpMethod method(byte[] line, int end) {
        for (HttpMethod known : COMMON_METHODS) {
            if (matches(known.asciiName(), line, 0, end)) {
                return known;
            }
        }
        requireOnly(TOKEN, line, 0, end, "character 0x%02x not allowed in a method");
        return HttpMethod.valueOf(new String(line, 0, end, StandardCharsets.US_ASCII));
    }

    static String target(byte[] line, int from, int to) {
        requireOnly(TARGET, line, from, to, "control character 0x%02x in the request target");
        return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** HTTP/1.1 and HTTP/1.0; another well-formed version is answered 505, anything else 400. */
    static HttpVersion version(byte[] line, int from, int to) {
        int n = to - from;
        if (n == 8 && line[from] == 'H' && line[from + 1] == 'T' && line[from + 2] == 'T' && line[from + 3] == 'P'
                && line[from + 4] == '/' && isDigit(line[from + 5]) && line[from + 6] == '.' && isDigit(line[from + 7])) {
            if (line[from + 5] == '1' && line[from + 7] == '1') {
                return HttpVersion.HTTP_1_1;
            }
            if (line[from + 5] == '1' && line[from + 7] == '0') {
                return HttpVersion.HTTP_1_0;
            }
            throw new MalformedHttpException(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "HTTP version " + new String(line, from, n, StandardCharsets.US_ASCII) + " not supported");
        }
        throw badRequest("first line without a valid HTTP version");
    }

    /**
     * {@code status-code SP [ reason-phrase ]} in {@code [from, to)}: three digits, then the reason,
     * which may be empty and whose space may be missing too (as many servers send it). A status
     * with the standard reason, or none, is the shared constant; another reason is kept as sent.
     */
    static HttpResponseStatus status(byte[] line, int from, int to) {
        if (to - from < 3 || !isDigit(line[from]) || !isDigit(line[from + 1]) || !isDigit(line[from + 2])
                || (to - from > 3 && line[from + 3] != ' ')) {
            throw badRequest("status line without a three-digit status code");
        }
        int code = (line[from] - '0') * 100 + (line[from + 1] - '0') * 10 + (line[from + 2] - '0');
        if (code < 100) {
            throw badRequest("status code " + code + " below 100");
        }
        int reason = Math.min(from + 4, to);
        requireOnly(FIELD_VALUE, line, reason, to, "control character 0x%02x in the reason phrase");
        HttpResponseStatus known = HttpResponseStatus.valueOf(code);
        return reason >= to || matches(known.reasonPhrase(), line, reason, to) // no reason: the standard one
                ? known
                : new HttpResponseStatus(code, new String(line, reason, to - reason, StandardCharsets.ISO_8859_1));
    }

    /** A field name: a shared constant when it is a common one, else its bytes in lower case. */
    static AsciiString name(byte[] line, int from, int to) {
        if (from == to) {
            throw badRequest("header field with an empty name");
        }
        AsciiString known = KnownHeaderNames.find(line, from, to - from);
        if (known != null) {
            return known;
        }
        requireOnly(TOKEN, line, from, to, "character 0x%02x not allowed in a header field name");
        byte[] lower = new byte[to - from];
        for (int i = from; i < to; i++) {
            byte b = line[i];
            lower[i - from] = b >= 'A' && b <= 'Z' ? (byte) (b | 0x20) : b;
        }
        return new AsciiString(lower, false);
    }

    /**
     * A field value without the optional whitespace around it, as bytes: the encoder that writes it
     * on copies it whole, where a string would be written character by character.
     */
    static AsciiString value(byte[] line, int from, int to) {
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        requireOnly(FIELD_VALUE, line, from, to, "control character 0x%02x in a header field value");
        return new AsciiString(line, from, to - from, true);
    }

    /** {@code Content-Length = 1*DIGIT}. */
    static long contentLength(CharSequence value) {
        int n = value.length();
        if (n == 0 || n > MAX_LENGTH_DIGITS) {
            throw badRequest("Content-Length '" + value + "' is not a length");
        }
        long length = 0;
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw badRequest("Content-Length '" + value + "' is not a length");
            }
            length = length * 10 + (c - '0');
        }
        return length;
    }

    /**
     * Transfer codings the proxy reads: {@code chunked}, alone. With chunked last after other codings
     * the length is known but the codings are not (501); without chunked last, the length is unknown (400).
     */
    static void checkChunkedOnly(String codings) {
        List<String> listed = codings(codings);
        if (!endsInChunked(listed)) {
            throw badRequest("Transfer-Encoding '" + codings + "' does not end in chunked");
        }
        if (listed.size() > 1) {
            throw new MalformedHttpException(HttpResponseStatus.NOT_IMPLEMENTED,
                    "Transfer-Encoding '" + codings + "': only chunked is supported");
        }
    }

    /** Whether the last of the transfer codings listed is {@code chunked}. */
    static boolean endsInChunked(String codings) {
        return endsInChunked(codings(codings));
    }

    private static boolean endsInChunked(List<String> codings) {
        return !codings.isEmpty() && codings.getLast().equalsIgnoreCase("chunked");
    }

    /** The codings of a {@code Transfer-Encoding} list, without the empty elements the list rule allows (RFC 9110 5.6.1). */
    private static List<String> codings(String field) {
        List<String> codings = new ArrayList<>(2);
        for (String coding : field.split(",")) {
            String trimmed = coding.strip();
            if (!trimmed.isEmpty()) {
                codings.add(trimmed);
            }
        }
        return codings;
    }

    /**
     * {@code chunk-size [ chunk-ext ]} in {@code [from, to)} of {@code in}: hex digits, then nothing,
     * or extensions after optional whitespace and a semicolon (read past, as RFC 9112 allows).
     */
    static long chunkSize(ByteBuf in, int from, int to) {
        long size = 0;
        int i = from;
        for (; i < to; i++) {
            int digit = Character.digit(in.getByte(i), 16);
            if (digit < 0) {
                break;
            }
            if (i - from == MAX_CHUNK_SIZE_DIGITS) {
                throw badRequest("chunk size longer than " + MAX_CHUNK_SIZE_DIGITS + " hex digits");
            }
            size = size << 4 | digit;
        }
        if (i == from) {
            throw badRequest("chunk size line without a hex size");
        }
        int ext = i;
        while (ext < to && (in.getByte(ext) == ' ' || in.getByte(ext) == '\t')) {
            ext++;
        }
        if (ext < to && in.getByte(ext) != ';') {
            throw badRequest("chunk size followed by something else than an extension");
        }
        for (int j = ext; j < to; j++) {
            if (!FIELD_VALUE[in.getByte(j) & 0xFF]) {
                throw badRequest("control character in a chunk extension");
            }
        }
        if (ext == to && ext != i) {
            throw badRequest("whitespace after a chunk size");
        }
        return size;
    }

    /** Every byte of {@code bytes[from, to)} is one {@code allowed} marks; else 400, {@code problem} formatted with the first that is not. */
    private static void requireOnly(boolean[] allowed, byte[] bytes, int from, int to, String problem) {
        for (int i = from; i < to; i++) {
            if (!allowed[bytes[i] & 0xFF]) {
                throw badRequest(String.format(problem, bytes[i] & 0xFF));
            }
        }
    }

    /** {@code known}, ASCII, is the bytes {@code [from, to)}. */
    private static boolean matches(CharSequence known, byte[] bytes, int from, int to) {
        if (known.length() != to - from) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if ((bytes[i] & 0xFF) != known.charAt(i - from)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }
}
