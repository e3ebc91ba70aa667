package dev.trellis.model;

import java.util.Locale;

/** Host-name rules shared by every reader: short names resolve in the document's namespace. */
public final class Hosts {
    public static final String CLUSTER_DOMAIN = "svc.cluster.local";

    private Hosts() {}

    /**
     * The fully qualified form of {@code host} as seen from {@code namespace}: a name without a dot
     * ({@code catalog}) becomes {@code catalog.<namespace>.svc.cluster.local}; anything else is kept.
     */
    public static String qualify(String host, String namespace) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.indexOf('.') < 0 && !h.equals("*") ? h + "." + namespace + "." + CLUSTER_DOMAIN : h;
    }
}
