package dev.trellis.config.internal;

import dev.trellis.model.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every problem found while reading, each prefixed with where it was found (file,
 * document, resource), so that one bad field does not hide the next and nothing is half-applied.
 */
public final class Problems {
    private final List<String> messages;
    private final String context;

    public Problems() {
        this(new ArrayList<>(), "");
    }

    private Problems(List<String> messages, String context) {
        this.messages = messages;
        this.context = context;
    }

    /** A view that adds to the same list, prefixing each problem with {@code context}. */
    public Problems in(String context) {
        return new Problems(messages, context);
    }

    /** Records {@code text} about the field at {@code path} (empty for the whole document). */
    public void add(String path, String text) {
        StringBuilder m = new StringBuilder(context);
        if (!path.isEmpty()) {
            m.append(m.isEmpty() ? "" : ": ").append(path);
        }
        messages.add(m.append(m.isEmpty() ? "" : ": ").append(text).toString());
    }

    public int count() {
        return messages.size();
    }

    public void throwIfAny() throws ConfigException {
        if (!messages.isEmpty()) {
            throw new ConfigException(messages);
        }
    }
}
