package dev.trellis.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SizedHeadersTest {
    private final EmbeddedChannel decoder = new EmbeddedChannel(new HttpResponseDecoder(new HttpDecoderConfig()
            .setHeadersFactory(SizedHeaders.MESSAGES)
            .setTrailersFactory(SizedHeaders.TRAILERS)));

    @Test
    void keepsEveryFieldOfAHeadLargerThanItsTable() {
        StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n");
        for (int i = 0; i < 40; i++) {
            head.append("x-field-").append(i).append(": ").append(i).append("\r\n");
        }
        decoder.writeInbound(Unpooled.copiedBuffer(head.append("\r\n"), StandardCharsets.US_ASCII));

        HttpResponse response = decoder.readInbound();
        assertThat(response.decoderResult().isSuccess()).isTrue();
        assertThat(response.headers().size()).isEqualTo(41);
        for (int i = 0; i < 40; i++) {
            assertThat(response.headers().get("X-Field-" + i)).isEqualTo(Integer.toString(i));
        }
        ReferenceCountUtil.release(decoder.readInbound());
    }

    @Test
    void keepsTrailersOfAChunkedBody() {
        decoder.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                + "2\r\nhi\r\n0\r\ngrpc-status: 0\r\ngrpc-message: fine\r\nx-extra: 1\r\n\r\n", StandardCharsets.US_ASCII));

        assertThat((Object) decoder.readInbound()).isInstanceOf(HttpResponse.class);
        Object piece;
        while (!((piece = decoder.readInbound()) instanceof LastHttpContent)) {
            ReferenceCountUtil.release(piece);
        }
        LastHttpContent last = (LastHttpContent) piece;
        assertThat(last.trailingHeaders().get("grpc-status")).isEqualTo("0");
        assertThat(last.trailingHeaders().get("grpc-message")).isEqualTo("fine");
        assertThat(last.trailingHeaders().get("x-extra")).isEqualTo("1");
        last.release();
        assertThat(decoder.finishAndReleaseAll()).isFalse();
    }
}
