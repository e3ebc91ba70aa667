package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link HttpEchoHandler} alone, on an {@link EmbeddedChannel}: no sockets, virtual time. */
class HttpEchoHandlerTest {

    private final AtomicLong served = new AtomicLong();
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new ChunkedWriteHandler(), new HttpEchoHandler(new EchoResponses("unit-v1"), served));

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    @Test
    void countsAStreamedBodyAndDescribesTheRequest() throws Exception {
        HttpRequest head = request(HttpMethod.POST, "/x?y=1");
        head.headers().add("X-Multi", "a").add("x-multi", "b");
        HttpUtil.setTransferEncodingChunked(head, true);

        channel.writeInbound(head,
                new DefaultHttpContent(ascii("hello")),
                new DefaultHttpContent(ascii("world!")),
                new DefaultLastHttpContent(ascii("..")));

        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(200);
            assertThat(response.headers().get("x-served-by")).isEqualTo("unit-v1");
            assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
            JsonNode body = json(response);
            assertThat(body.get("server").asText()).isEqualTo("unit-v1");
            assertThat(body.get("method").asText()).isEqualTo("POST");
            assertThat(body.get("path").asText()).isEqualTo("/x?y=1");
            assertThat(body.get("protocol").asText()).isEqualTo("HTTP/1.1");
            assertThat(body.get("headers").get("x-multi").asText()).isEqualTo("a, b");
            assertThat(body.get("bodyBytes").asLong()).isEqualTo(13);
            assertThat(HttpUtil.getContentLength(response)).isEqualTo(response.content().readableBytes());
        } finally {
            response.release();
        }
        assertThat(served).hasValue(1);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void answersPipelinedRequestsInOrderEvenWhenTheFirstIsDelayed() throws Exception {
        channel.freezeTime();
        channel.writeInbound(request(HttpMethod.GET, "/delay/500"), LastHttpContent.EMPTY_LAST_CONTENT);
        channel.writeInbound(request(HttpMethod.GET, "/second"), LastHttpContent.EMPTY_LAST_CONTENT);
        Object early = channel.readOutbound();
        assertThat(early).as("nothing before the delay ends").isNull();

        channel.advanceTimeBy(499, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        Object stillEarly = channel.readOutbound();
        assertThat(stillEarly).isNull();

        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(pathOf(channel.readOutbound())).isEqualTo("/delay/500");
        assertThat(pathOf(channel.readOutbound())).isEqualTo("/second");
        assertThat(served).hasValue(2);
    }

    @Test
    void streamsTheRequestedNumberOfBytes() {
        int size = 3 * PatternBytes.CHUNK_SIZE + 5;
        channel.writeInbound(request(HttpMethod.GET, "/bytes/" + size), LastHttpContent.EMPTY_LAST_CONTENT);

        HttpResponse head = channel.readOutbound();
        assertThat(head.status().code()).isEqualTo(200);
        assertThat(HttpUtil.getContentLength(head)).isEqualTo(size);
        assertThat(head.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/octet-stream");
        long offset = 0;
        while (true) {
            HttpContent chunk = channel.readOutbound();
            try {
                ByteBuf bytes = chunk.content();
                for (int i = bytes.readerIndex(); i < bytes.writerIndex(); i++, offset++) {
                    assertThat(bytes.getByte(i)).isEqualTo(PatternBytes.byteAt(offset));
                }
                if (chunk instanceof LastHttpContent) {
                    break;
                }
            } finally {
                chunk.release();
            }
        }
        assertThat(offset).isEqualTo(size);
    }

    @Test
    void headGetsTheLengthButNoBody() {
        channel.writeInbound(request(HttpMethod.HEAD, "/x"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.content().readableBytes()).isZero();
            assertThat(HttpUtil.getContentLength(response)).isPositive();
        } finally {
            response.release();
        }
    }

    @Test
    void statusWithoutBodyHasNoBody() {
        channel.writeInbound(request(HttpMethod.GET, "/status/204"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(204);
            assertThat(response.content().readableBytes()).isZero();
            assertThat(response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        } finally {
            response.release();
        }
    }

    @Test
    void connectionCloseIsHonoured() {
        HttpRequest head = request(HttpMethod.GET, "/x");
        HttpUtil.setKeepAlive(head, false);
        channel.writeInbound(head, LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = channel.readOutbound();
        response.release();
        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void malformedRequestGets400AndTheConnectionCloses() throws Exception {
        HttpRequest head = request(HttpMethod.GET, "/bad-request");
        head.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid header name")));
        channel.writeInbound(head); // As HttpServerCodec does: nothing follows a failed head.

        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(400);
            assertThat(json(response).get("error").asText()).isEqualTo("malformed request: invalid header name");
        } finally {
            response.release();
        }
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void badSpecialPathGets400ButKeepsTheConnection() throws Exception {
        channel.writeInbound(request(HttpMethod.GET, "/status/42"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(400);
            assertThat(json(response).get("error").asText())
                    .isEqualTo("status: '42' (expected: an HTTP status 200..599)");
        } finally {
            response.release();
        }
        assertThat(channel.isOpen()).isTrue();
    }

    private static HttpRequest request(HttpMethod method, String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static JsonNode json(FullHttpResponse response) throws Exception {
        return new ObjectMapper().readTree(response.content().toString(StandardCharsets.UTF_8));
    }

    private static String pathOf(FullHttpResponse response) throws Exception {
        try {
            return json(response).get("path").asText();
        } finally {
            response.release();
        }
    }
}
