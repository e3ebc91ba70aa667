package dev.trellis.controlplane.store;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Renders stored bytes for messages and toString: text when they are short UTF-8, else a size. */
final class Values {
    private static final int SHOWN = 64;

    private Values() {}

    static String describe(byte[] value) {
        if (value.length <= SHOWN) {
            try {
                String text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(value))
                        .toString();
                if (text.chars().noneMatch(Character::isISOControl)) {
                    return '"' + text + '"';
                }
            } catch (CharacterCodingException binary) {
                // shown by its size below
            }
        }
        return value.length == 1 ? "1 byte" : value.length + " bytes";
    }
}
