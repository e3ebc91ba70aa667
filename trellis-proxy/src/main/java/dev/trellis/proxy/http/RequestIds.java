package dev.trellis.proxy.http;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random version-4 UUIDs for {@code x-request-id}: without the locking of UUID.randomUUID, and as
 * ASCII bytes the HTTP encoder copies as they are, with no String in between.
 */
final class RequestIds {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final int LENGTH = 36;

    private RequestIds() {}

    static AsciiString next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long hi = (random.nextLong() & ~0xF000L) | 0x4000L; // version 4
        long lo = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        byte[] out = new byte[LENGTH];
        int p = 0;
        for (int i = 60; i >= 0; i -= 4) {
            if (p == 8 || p == 13 || p == 18) {
                out[p++] = '-';
            }
            out[p++] = HEX[(int) (hi >>> i) & 0xF];
        }
        out[p++] = '-';
        for (int i = 60; i >= 0; i -= 4) {
            if (p == 23) {
                out[p++] = '-';
            }
            out[p++] = HEX[(int) (lo >>> i) & 0xF];
        }
        return new AsciiString(out, false);
    }
}
