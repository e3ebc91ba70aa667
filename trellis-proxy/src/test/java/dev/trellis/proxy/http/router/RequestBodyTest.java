package dev.trellis.proxy.http.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proxy.upstream.ConnectionLease;
import dev.trellis.proxy.upstream.Lease;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestBodyTest {
    static HttpContent piece(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    /** The channel as an HTTP/1.1 connection's lease: what is written to the lease is written to it. */
    static Lease lease(EmbeddedChannel channel) {
        return new ConnectionLease(channel, null, false);
    }

    static String written(EmbeddedChannel channel) {
        channel.flush();
        StringBuilder out = new StringBuilder();
        HttpContent content;
        while ((content = channel.readOutbound()) != null) {
            out.append(content.content().toString(StandardCharsets.UTF_8));
            content.release();
        }
        return out.toString();
    }

    @Test
    void aHeldBodyIsWrittenAgainWholeAfterARewind() {
        RequestBody body = new RequestBody();
        EmbeddedChannel first = new EmbeddedChannel();
        body.add(piece("ab"));
        body.writeTo(lease(first));
        body.add(new DefaultLastHttpContent(Unpooled.copiedBuffer("c", StandardCharsets.UTF_8)));
        body.writeTo(lease(first));
        assertThat(written(first)).isEqualTo("abc");
        assertThat(body.complete()).isTrue();

        body.rewind();
        EmbeddedChannel second = new EmbeddedChannel();
        body.writeTo(lease(second));
        assertThat(written(second)).isEqualTo("abc");
        body.release();
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
    }

    @Test
    void pastTheLimitTheBodyStreamsOnceAndEveryPieceIsReleasedOnce() {
        RequestBody body = new RequestBody();
        EmbeddedChannel up = new EmbeddedChannel();
        List<ByteBuf> buffers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ByteBuf buffer = Unpooled.buffer(RequestBody.REPLAY_LIMIT / 4).writeZero(RequestBody.REPLAY_LIMIT / 4);
            buffers.add(buffer);
            body.add(new DefaultHttpContent(buffer));
            if (i == 1) {
                body.writeTo(lease(up)); // the try keeps up for a while
            }
        }
        assertThat(body.replayable()).isFalse();
        body.writeTo(lease(up));
        up.flush();
        int bytes = 0;
        HttpContent content;
        while ((content = up.readOutbound()) != null) {
            bytes += content.content().readableBytes();
            content.release();
        }
        assertThat(bytes).isEqualTo(5 * RequestBody.REPLAY_LIMIT / 4);
        body.release();
        assertThat(buffers).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void releasingAHeldBodyFreesEveryPiece() {
        RequestBody body = new RequestBody();
        HttpContent a = piece("a");
        HttpContent b = piece("b");
        body.add(a);
        body.add(b);
        EmbeddedChannel up = new EmbeddedChannel();
        body.writeTo(lease(up));
        written(up);
        body.release();
        assertThat(a.refCnt()).isZero();
        assertThat(b.refCnt()).isZero();
    }
}
