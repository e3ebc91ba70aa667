package dev.trellis.proxy.http.codec;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * Each event loop's array a message head is copied into to be parsed: decoding runs to completion
 * on its thread, and nothing parsed keeps a reference to the array.
 */
final class Scratch {
    private static final int INITIAL = 4096;

    private static final FastThreadLocal<byte[]> ARRAY = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[INITIAL];
        }
    };

    private Scratch() {}

    /** This thread's array, at least {@code length} long. */
    static byte[] of(int length) {
        byte[] array = ARRAY.get();
        if (array.length < length) {
            array = new byte[Math.max(length, array.length * 2)];
            ARRAY.set(array);
        }
        return array;
    }
}
