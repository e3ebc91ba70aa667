package dev.trellis.proxy.http.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proxy.http.SizedHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Http1ServerCodecTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new Http1ServerCodec(new Http1Limits(64, 256, 8), SizedHeaders.CHECKED_ELSEWHERE, SizedHeaders.TRAILERS));

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void decodesAHeadWithItsFieldsTrimmedAndNamedInLowerCase() {
        List<Object> in = read("GET /a?b=c HTTP/1.1\r\nHost: shop\r\nX-Custom:\t spaced out \r\nAccept: */*\r\n\r\n");
        assertThat(in).hasSize(2);
        HttpRequest request = (HttpRequest) in.get(0);
        assertThat(request.decoderResult().isSuccess()).isTrue();
        assertThat(request.method()).isSameAs(HttpMethod.GET);
        assertThat(request.uri()).isEqualTo("/a?b=c");
        assertThat(request.protocolVersion()).isSameAs(HttpVersion.HTTP_1_1);
        assertThat(request.headers().get("host")).isEqualTo("shop");
        assertThat(request.headers().get("x-custom")).isEqualTo("spaced out");
        assertThat(request.headers().names()).containsExactlyInAnyOrder("host", "x-custom", "accept");
        assertThat(in.get(1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void aHeadArrivingByteByByteIsTheSameHead() {
        String wire = "\r\nPOST /up HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc";
        List<Object> in = new ArrayList<>();
        for (byte b : wire.getBytes(StandardCharsets.ISO_8859_1)) {
            in.addAll(read(new byte[] {b}));
        }
        HttpRequest request = (HttpRequest) in.get(0);
        assertThat(request.decoderResult().isSuccess()).isTrue();
        assertThat(request.method()).isSameAs(HttpMethod.POST);
        assertThat(request.protocolVersion()).isSameAs(HttpVersion.HTTP_1_0);
        assertThat(body(in)).isEqualTo("abc");
        assertThat(in.get(in.size() - 1)).isInstanceOf(LastHttpContent.class);
    }

    @Test
    void aFixedLengthBodyComesInPiecesOfAtMostMaxChunkAndEndsWithTheLastPiece() {
        List<Object> in = read("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij");
        assertThat(in).hasSize(4); // head + 8 + 8 + 4
        assertThat(in.get(1)).isNotInstanceOf(LastHttpContent.class);
        assertThat(in.get(3)).isInstanceOf(LastHttpContent.class);
        assertThat(body(in)).isEqualTo("0123456789abcdefghij");
    }

    @Test
    void pipelinedRequestsComeInOrderFromOneRead() {
        List<Object> in = read("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
        List<String> uris = in.stream().filter(HttpRequest.class::isInstance).map(m -> ((HttpRequest) m).uri()).toList();
        assertThat(uris).containsExactly("/1", "/2", "/3");
        assertThat(body(in)).isEqualTo("hi");
    }

    @Test
    void aChunkedBodyWithExtensionsAndTrailers() {
        List<Object> in = read("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\nA ; x\r\n, world!!!\r\n0\r\nGrpc-Status: 0\r\nContent-Length: 9\r\n\r\n");
        assertThat(body(in)).isEqualTo("hello, world!!!");
        LastHttpContent last = (LastHttpContent) in.get(in.size() - 1);
        assertThat(last.decoderResult().isSuccess()).isTrue();
        assertThat(last.trailingHeaders().get("grpc-status")).isEqualTo("0");
        assertThat(last.trailingHeaders().contains("content-length")).as("framing fields are not trailers").isFalse();
    }

    @ParameterizedTest(name = "{2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            GET / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1\\r\\nContent-Length: 1\\r\\n\\r\\nx | 400 | more than one Content-Length
            POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | 400 | both Content-Length and Transfer-Encoding
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked, gzip\\r\\n\\r\\n | 400 | does not end in chunked
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n | 501 | only chunked is supported
            POST / HTTP/1.0\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | 400 | Transfer-Encoding in an HTTP/1.0 request
            GET / HTTP/1.1\\r\\nAccept: */*\\r\\n\\r\\n | 400 | HTTP/1.1 request without Host
            GET / HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n | 400 | more than one Host
            GET / HTTP/1.1\\r\\nHost: a\\n\\r\\n | 400 | bare LF
            GET / HTTP/1.1\\r\\nHost: a\\rb\\r\\n\\r\\n | 400 | bare CR in a header field
            GET / HTTP/1.1\\rX\\r\\nHost: a\\r\\n\\r\\n | 400 | bare CR in the first line
            GET / HTTP/1.1\\r\\nHost: a\\r\\nX-A: b\\r\\n  c\\r\\n\\r\\n | 400 | obsolete line folding
            GET / HTTP/1.1\\r\\nHost : a\\r\\n\\r\\n | 400 | not allowed in a header field name
            GET / HTTP/1.1\\r\\nHost: a\\r\\nX-A: b\\u0000c\\r\\n\\r\\n | 400 | control character 0x00 in a header field value
            GET / HTTP/1.1\\r\\nHost: a\\r\\n: empty\\r\\n\\r\\n | 400 | empty name
            GET / HTTP/1.1\\r\\nHost: a\\r\\nno colon\\r\\n\\r\\n | 400 | without a colon
            POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: +5\\r\\n\\r\\n | 400 | Content-Length '+5' is not a length
            POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1234567890123456789\\r\\n\\r\\n | 400 | is not a length
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0x5\\r\\nhello\\r\\n | 400 | chunk size followed by something else
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5 \\r\\nhello\\r\\n | 400 | whitespace after a chunk size
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n;x\\r\\n | 400 | without a hex size
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n1000000000000000\\r\\n | 400 | longer than 15 hex digits
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhelloXY | 400 | chunk data not followed by CRLF
            POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\nhello | 400 | chunk size line ending in a bare LF
            GET / HTTP/2.0\\r\\nHost: a\\r\\n\\r\\n | 505 | HTTP version HTTP/2.0 not supported
            GET / HTTP/1.1x\\r\\nHost: a\\r\\n\\r\\n | 400 | without a valid HTTP version
            GET  / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n | 400 | without a request target
            GET /a\\u007fb HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n | 400 | control character 0x7f in the request target
            G@T / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n | 400 | not allowed in a method
            GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\\r\\n | 414 | request line longer than 64 bytes
            """)
    void refusesWithTheStatusAndReasonOfTheRuleBroken(String wire, int status, String reason) {
        List<Object> in = read(wire.replace("\\r", "\r").replace("\\n", "\n").replace("\\u0000", "\0").replace("\\u007f", "\u007f")
                + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        in.forEach(ReferenceCountUtil::release);
        DecoderResultProvider refused = in.stream().map(DecoderResultProvider.class::cast)
                .filter(m -> m.decoderResult().isFailure())
                .findFirst().orElseThrow(() -> new AssertionError("nothing refused in " + in));
        MalformedHttpException cause = (MalformedHttpException) refused.decoderResult().cause();
        assertThat(cause.status().code()).isEqualTo(status);
        assertThat(cause.getMessage()).contains(reason);
        assertThat(in.get(in.size() - 1)).as("nothing is read after a refusal").isSameAs(refused);
    }

    @Test
    void headerFieldsLargerThanTheLimitGet431() {
        List<Object> in = read("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(300) + "\r\n\r\n");
        MalformedHttpException cause = (MalformedHttpException) ((HttpRequest) in.get(0)).decoderResult().cause();
        assertThat(cause.status()).isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
    }

    @Test
    void theAnswerToHeadHasNoBodyWhateverItsFramingSays() {
        read("HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("transfer-encoding", "chunked");
        channel.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);
        DefaultHttpResponse get = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        get.headers().set("transfer-encoding", "chunked");
        channel.writeOutbound(get, LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(written()).isEqualTo("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                + "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    @Test
    void aHundredPipelinedHeadsAreAnsweredInOrder() {
        StringBuilder wire = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            wire.append(i % 3 == 0 ? "HEAD" : "GET").append(" / HTTP/1.1\r\nHost: a\r\n\r\n");
        }
        read(wire.toString());
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            DefaultHttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().set("transfer-encoding", "chunked");
            channel.writeOutbound(response, LastHttpContent.EMPTY_LAST_CONTENT);
            expected.append("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").append(i % 3 == 0 ? "" : "0\r\n\r\n");
        }
        assertThat(written()).isEqualTo(expected.toString());
    }

    private List<Object> read(String wire) {
        return read(wire.getBytes(StandardCharsets.ISO_8859_1));
    }

    private List<Object> read(byte[] bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes));
        List<Object> in = new ArrayList<>();
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            in.add(msg);
        }
        return in;
    }

    private static String body(List<Object> in) {
        StringBuilder body = new StringBuilder();
        for (Object msg : in) {
            if (msg instanceof HttpContent content) {
                body.append(content.content().toString(StandardCharsets.ISO_8859_1));
                ReferenceCountUtil.release(content);
            }
        }
        return body.toString();
    }

    private String written() {
        StringBuilder out = new StringBuilder();
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }
}
