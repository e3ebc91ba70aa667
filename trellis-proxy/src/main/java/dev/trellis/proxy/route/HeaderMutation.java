package dev.trellis.proxy.route;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * Header changes on a request or a response: removals first, then each option in order, as
 * Envoy applies {@code *_headers_to_remove} and {@code *_headers_to_add}.
 */
public final class HeaderMutation {
    public static final HeaderMutation NONE = new HeaderMutation(List.of(), List.of());

    /** What an option does when the header is, or is not, present: Envoy's {@code append_action}. */
    public enum Action {
        /** Adds a value, keeping any there are. */
        APPEND,
        /** Replaces every value, or adds one. */
        OVERWRITE,
        /** Adds the value only when the header is absent. */
        ADD_IF_ABSENT,
        /** Replaces the values only when the header is present. */
        OVERWRITE_IF_EXISTS
    }

    /** One header to add or change. */
    public record Option(String name, String value, Action action) {}

    private final String[] remove;
    private final Option[] options;

    private HeaderMutation(List<String> remove, List<Option> options) {
        this.remove = remove.toArray(String[]::new);
        this.options = options.toArray(Option[]::new);
    }

    public static HeaderMutation of(List<String> remove, List<Option> options) {
        return remove.isEmpty() && options.isEmpty() ? NONE : new HeaderMutation(remove, options);
    }

    public void apply(HttpHeaders headers) {
        for (String name : remove) {
            headers.remove(name);
        }
        for (Option option : options) {
            switch (option.action()) {
                case APPEND -> headers.add(option.name(), option.value());
                case OVERWRITE -> headers.set(option.name(), option.value());
                case ADD_IF_ABSENT -> {
                    if (!headers.contains(option.name())) {
                        headers.add(option.name(), option.value());
                    }
                }
                case OVERWRITE_IF_EXISTS -> {
                    if (headers.contains(option.name())) {
                        headers.set(option.name(), option.value());
                    }
                }
            }
        }
    }

    public List<Option> options() {
        return List.of(options);
    }

    public List<String> removals() {
        return List.of(remove);
    }
}
