package dev.trellis.proxy.route;

import dev.trellis.model.HeaderOps;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;

/** A compiled {@link HeaderOps}: remove, then set, then add. */
public final class HeaderMutation {
    public static final HeaderMutation NONE = new HeaderMutation(HeaderOps.NONE);

    private final String[] remove;
    private final String[] setNames;
    private final String[] setValues;
    private final String[] addNames;
    private final String[] addValues;

    HeaderMutation(HeaderOps ops) {
        this.remove = ops.remove().toArray(String[]::new);
        this.setNames = ops.set().keySet().toArray(String[]::new);
        this.setValues = values(ops.set(), setNames);
        this.addNames = ops.add().keySet().toArray(String[]::new);
        this.addValues = values(ops.add(), addNames);
    }

    public static HeaderMutation of(HeaderOps ops) {
        return ops.isEmpty() ? NONE : new HeaderMutation(ops);
    }

    public void apply(HttpHeaders headers) {
        for (String name : remove) {
            headers.remove(name);
        }
        for (int i = 0; i < setNames.length; i++) {
            headers.set(setNames[i], setValues[i]);
        }
        for (int i = 0; i < addNames.length; i++) {
            headers.add(addNames[i], addValues[i]);
        }
    }

    private static String[] values(Map<String, String> map, String[] names) {
        String[] values = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            values[i] = map.get(names[i]);
        }
        return values;
    }
}
