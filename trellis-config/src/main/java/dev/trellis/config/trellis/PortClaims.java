package dev.trellis.config.trellis;

import dev.trellis.config.internal.Node;
import java.util.HashMap;
import java.util.Map;

/**
 * The ports of one proxy, so that two listeners (or a listener and the app) never want the same
 * one. Port 0 asks the OS for a free port and never clashes.
 */
final class PortClaims {
    private record Claim(Node node, boolean explicit) {
        String describe() {
            return explicit ? node.path() : "the default " + node.path();
        }
    }

    private final Map<Integer, Claim> claims = new HashMap<>();

    /**
     * @param explicit false when the port is a default, not written in the document: a clash is
     *     then reported at the other claim, the one the user can change
     */
    void claim(int port, Node node, boolean explicit) {
        if (port == 0) {
            return;
        }
        Claim claim = new Claim(node, explicit);
        Claim earlier = claims.putIfAbsent(port, claim);
        if (earlier == null) {
            return;
        }
        Claim reportAt = explicit ? claim : earlier;
        Claim other = explicit ? earlier : claim;
        reportAt.node().problem("a port not used by " + other.describe());
    }
}
