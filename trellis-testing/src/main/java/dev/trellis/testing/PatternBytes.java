package dev.trellis.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A body of any length produced chunk by chunk as the peer can take it, so downloads of any size
 * cost no memory. Byte {@code i} is {@code 'a' + i % 26}: readable, and checkable by the receiver.
 */
final class PatternBytes implements ChunkedInput<ByteBuf> {

    static final int CHUNK_SIZE = 16 * 1024;
    private static final int PERIOD = 26;
    /** One chunk's worth of pattern, plus one period so any phase can be copied in one go. */
    private static final byte[] PATTERN = new byte[CHUNK_SIZE + PERIOD];

    static {
        for (int i = 0; i < PATTERN.length; i++) {
            PATTERN[i] = byteAt(i);
        }
    }

    private final long length;
    private final AtomicLong produced;
    private long offset;

    PatternBytes(long length) {
        this(length, new AtomicLong());
    }

    /** @param produced counts every byte handed out, across bodies */
    PatternBytes(long length, AtomicLong produced) {
        this.length = length;
        this.produced = produced;
    }

    /** {@code count} pattern bytes from offset 0, in a new buffer of {@code allocator}. */
    static ByteBuf first(ByteBufAllocator allocator, int count) {
        ByteBuf bytes = allocator.buffer(count);
        for (int written = 0; written < count; written += CHUNK_SIZE) {
            bytes.writeBytes(PATTERN, written % PERIOD, Math.min(CHUNK_SIZE, count - written));
        }
        return bytes;
    }

    /** The byte at {@code offset} of every pattern body. */
    static byte byteAt(long offset) {
        return (byte) ('a' + offset % PERIOD);
    }

    @Override
    public boolean isEndOfInput() {
        return offset >= length;
    }

    @Override
    public void close() {
        // Nothing to release: chunks are made on demand.
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) {
        if (isEndOfInput()) {
            return null;
        }
        int size = (int) Math.min(CHUNK_SIZE, length - offset);
        ByteBuf chunk = allocator.buffer(size);
        chunk.writeBytes(PATTERN, (int) (offset % PERIOD), size);
        offset += size;
        produced.addAndGet(size);
        return chunk;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long progress() {
        return offset;
    }
}
