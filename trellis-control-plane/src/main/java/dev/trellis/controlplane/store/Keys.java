package dev.trellis.controlplane.store;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keys as the store compares them: UTF-8 bytes, as etcd does. Java's own string order (UTF-16)
 * differs for characters beyond U+FFFF, so ordering and prefix bounds work on the bytes.
 */
final class Keys {
    private Keys() {}

    /** The UTF-8 bytes of a key, refusing an empty one (etcd: "key is not provided"). */
    static byte[] key(String what, String key) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException(what + ": empty key (expected: a non-empty key; use a prefix op for ranges)");
        }
        return utf8(what, key);
    }

    /** The UTF-8 bytes of a prefix; the empty prefix is every key. */
    static byte[] prefix(String what, String prefix) {
        return utf8(what, prefix);
    }

    /**
     * The first byte string above every key starting with {@code prefix}: etcd's prefix range end.
     * UTF-8 never contains 0xFF, so bumping the last byte cannot overflow, and the empty prefix
     * ends at {0xFF}, above every key.
     */
    static byte[] prefixEnd(byte[] prefix) {
        if (prefix.length == 0) {
            return new byte[] {(byte) 0xFF};
        }
        byte[] end = Arrays.copyOf(prefix, prefix.length);
        end[end.length - 1]++;
        return end;
    }

    private static byte[] utf8(String what, String text) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer bytes = encoder.encode(CharBuffer.wrap(text));
            return Arrays.copyOf(bytes.array(), bytes.limit());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + ": \"" + text + "\" has an unpaired surrogate (expected: valid Unicode)");
        }
    }
}
