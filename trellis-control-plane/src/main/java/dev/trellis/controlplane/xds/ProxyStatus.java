package dev.trellis.controlplane.xds;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the control plane knows of one connected client, for {@code trellis proxy-status}.
 *
 * @param name the Proxy's name and namespace, or empty for a client that is not a Trellis proxy
 * @param address where its stream comes from
 * @param types per xDS type (CDS, EDS, LDS, RDS) the client subscribed to: the version the
 *     control plane has for it, the version the client last acknowledged, and its last rejection
 * @param problems what did not resolve when its configuration was built
 */
public record ProxyStatus(
        String nodeId,
        Optional<String> name,
        Optional<String> namespace,
        String address,
        Instant connectedSince,
        State state,
        Map<String, TypeStatus> types,
        List<String> problems) {

    /** SYNCED: it acknowledged every current version. STALE: some are not acknowledged yet. NACKED: it rejected one. */
    public enum State {
        SYNCED,
        STALE,
        NACKED
    }

    /**
     * @param current the version the control plane has for the client, empty before its snapshot is built
     * @param acked the version the client last said it holds (an ACK, or the version it reconnected with)
     * @param lastNack its last rejection, while no later version has been accepted
     */
    public record TypeStatus(String current, String acked, Optional<Nack> lastNack) {}

    /** A rejected version and the client's reason. */
    public record Nack(String version, String reason, Instant at) {}
}
