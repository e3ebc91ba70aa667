package dev.trellis.proxy.http.codec;

/**
 * RFC 9110 section 5.5: the characters a field value may hold, visible ASCII, obs-text (0x80 to
 * 0xFF), space and horizontal tab; no other control character. The one rule for HTTP/1.1 heads,
 * checked as they are decoded, and for HTTP/2 ones, whose decoder leaves values unchecked.
 */
public final class FieldValue {
    private static final boolean[] ALLOWED = new boolean[256];

    static {
        for (int c = 0x21; c < 256; c++) {
            ALLOWED[c] = c != 0x7F;
        }
        ALLOWED[' '] = true;
        ALLOWED['\t'] = true;
    }

    private FieldValue() {}

    /** Whether {@code c}, a byte (0 to 255) or a character of a decoded value, may stand in a field value. */
    public static boolean allowed(int c) {
        return c > 0xFF || ALLOWED[c];
    }
}
