package dev.trellis.proxy.http.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proxy.http.SizedHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
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

class Http1ClientCodecTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new Http1ClientCodec(new Http1Limits(64, 256, 8), SizedHeaders.CHECKED_ELSEWHERE, SizedHeaders.TRAILERS));
    private final List<Object> read = new ArrayList<>();

    @AfterEach
    void close() {
        read.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    @Test
    void aResponseOfKnownLengthAndItsReasonPhrase() {
        send(HttpMethod.GET, HttpMethod.GET);
        List<Object> in = read("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Nothing Here\r\nContent-Length: 0\r\n\r\n");
        HttpResponse first = (HttpResponse) in.get(0);
        assertThat(first.status()).isSameAs(HttpResponseStatus.OK);
        assertThat(body(in.subList(0, 2))).isEqualTo("abc");
        HttpResponse second = (HttpResponse) in.get(2);
        assertThat(second.status().code()).isEqualTo(404);
        assertThat(second.status().reasonPhrase()).isEqualTo("Nothing Here");
        assertThat(in.get(3)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void aChunkedResponseWithTrailers() {
        send(HttpMethod.POST);
        List<Object> in = read("HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nGrpc-Status: 0\r\n\r\n");
        assertThat(((HttpResponse) in.get(0)).status()).isSameAs(HttpResponseStatus.OK);
        assertThat(body(in)).isEqualTo("abc");
        assertThat(((LastHttpContent) in.get(in.size() - 1)).trailingHeaders().get("grpc-status")).isEqualTo("0");
    }

    /** A list field may have empty elements (RFC 9110 5.6.1): chunked is still the last coding, as for requests. */
    @Test
    void chunkedFollowedByAnEmptyListElementIsStillChunked() {
        send(HttpMethod.GET);
        List<Object> in = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, \r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assertThat(body(in)).isEqualTo("abc");
        assertThat(in.get(in.size() - 1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void aBodyWithoutLengthEndsWhenTheConnectionCloses() {
        send(HttpMethod.GET);
        List<Object> in = read("HTTP/1.0 200 OK\r\n\r\nuntil the end");
        assertThat(in.get(in.size() - 1)).isNotInstanceOf(LastHttpContent.class);
        channel.finish();
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            in.add(msg);
        }
        assertThat(in.get(in.size() - 1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(body(in)).isEqualTo("until the end");
    }

    @Test
    void theAnswersToHeadAnd204And304HaveNoBodyWhateverTheirFieldsSay() {
        send(HttpMethod.HEAD, HttpMethod.GET, HttpMethod.GET, HttpMethod.GET);
        List<Object> in = read("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\n\r\n"
                + "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(in.stream().filter(HttpResponse.class::isInstance).map(m -> ((HttpResponse) m).status().code()))
                .containsExactly(200, 204, 304, 200);
        assertThat(body(in)).isEqualTo("ok");
    }

    @Test
    void anInterimResponseLeavesItsRequestWaitingForTheFinalOne() {
        send(HttpMethod.HEAD);
        List<Object> in = read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n");
        assertThat(((HttpResponse) in.get(0)).status().code()).isEqualTo(100);
        assertThat(in.get(1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(((HttpResponse) in.get(2)).status().code()).isEqualTo(200);
        assertThat(in.get(3)).as("still the answer to the HEAD").isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void afterA101ToAnotherProtocolTheBytesPassRaw() {
        send(HttpMethod.GET);
        List<Object> in = read("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0081\u0002hi");
        assertThat(((HttpResponse) in.get(0)).status().code()).isEqualTo(101);
        assertThat(in.get(1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(in.get(2)).isInstanceOf(ByteBuf.class);
        assertThat(((ByteBuf) in.get(2)).toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0081\u0002hi");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            HTTP/1.1 200 OK\\r\\nContent-Length: 1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | both Content-Length and Transfer-Encoding
            HTTP/1.1 200 OK\\r\\nContent-Length: 1\\r\\nContent-Length: 1\\r\\n\\r\\nx | more than one Content-Length
            HTTP/1.0 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | Transfer-Encoding in an HTTP/1.0 response
            HTTP/1.1 2OO OK\\r\\n\\r\\n | without a three-digit status code
            HTTP/1.1 20 OK\\r\\n\\r\\n | without a three-digit status code
            HTTP/1.1 200 O\\u0001K\\r\\n\\r\\n | control character 0x01 in the reason phrase
            HTTP/1.1 200 OK\\nContent-Length: 0\\r\\n\\r\\n | bare LF
            HTTP/2.0 200 OK\\r\\n\\r\\n | not supported
            HTTP/1.1 200 OK\\r\\nX-A: b\\r\\n c\\r\\n\\r\\n | obsolete line folding
            """)
    void refusesAResponseThatBreaksARule(String wire, String reason) {
        send(HttpMethod.GET);
        List<Object> in = read(wire.replace("\\r", "\r").replace("\\n", "\n").replace("\\u0001", "\u0001")
                + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        DecoderResultProvider refused = (DecoderResultProvider) in.get(in.size() - 1);
        assertThat(refused.decoderResult().isFailure()).as("the last thing read is the refusal: %s", in).isTrue();
        assertThat(refused.decoderResult().cause().getMessage()).contains(reason);
    }

    private void send(HttpMethod... methods) {
        for (HttpMethod method : methods) {
            channel.writeOutbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "/"), LastHttpContent.EMPTY_LAST_CONTENT);
        }
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(out);
        }
    }

    private List<Object> read(String wire) {
        channel.writeInbound(Unpooled.copiedBuffer(wire, StandardCharsets.ISO_8859_1));
        List<Object> in = new ArrayList<>();
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            in.add(msg);
        }
        read.addAll(in);
        return in;
    }

    private static String body(List<Object> in) {
        StringBuilder body = new StringBuilder();
        for (Object msg : in) {
            if (msg instanceof HttpContent content) {
                body.append(content.content().toString(StandardCharsets.ISO_8859_1));
            }
        }
        return body.toString();
    }
}
