package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class PatternBytesTest {

    @Test
    void producesExactlyTheLengthInBoundedChunksWithTheDocumentedPattern() {
        long length = 3L * PatternBytes.CHUNK_SIZE + 7;
        PatternBytes input = new PatternBytes(length);
        long offset = 0;
        while (!input.isEndOfInput()) {
            ByteBuf chunk = input.readChunk(UnpooledByteBufAllocator.DEFAULT);
            try {
                assertThat(chunk.readableBytes()).isBetween(1, PatternBytes.CHUNK_SIZE);
                for (int i = 0; i < chunk.readableBytes(); i++, offset++) {
                    assertThat(chunk.getByte(chunk.readerIndex() + i)).isEqualTo((byte) ('a' + offset % 26));
                }
            } finally {
                chunk.release();
            }
        }
        assertThat(offset).isEqualTo(length);
        assertThat(input.progress()).isEqualTo(length);
        assertThat(input.readChunk(UnpooledByteBufAllocator.DEFAULT)).isNull();
    }

    @Test
    void emptyBodyEndsAtOnce() {
        assertThat(new PatternBytes(0).isEndOfInput()).isTrue();
    }
}
