package dev.trellis.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The bootstrap of one proxy (kind {@code Proxy} of {@code trellis.dev/v1alpha1}): which workload
 * it stands beside and which ports it listens on.
 */
public record ProxyBootstrap(
        Meta meta, Workload workload, Optional<Inbound> inbound, List<Upstream> upstreams, Admin admin) {
    public ProxyBootstrap {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(inbound, "inbound");
        upstreams = List.copyOf(upstreams);
        Objects.requireNonNull(admin, "admin");
    }

    /**
     * The workload: its service, service account and labels, and where it runs.
     *
     * @param locality where the workload runs: it places the proxy as a caller (locality-aware
     *     balancing ranks endpoints by their distance from it) and its registered endpoint
     */
    public record Workload(String service, String serviceAccount, Map<String, String> labels, Locality locality) {
        public Workload {
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(serviceAccount, "serviceAccount");
            labels = Map.copyOf(labels);
            Objects.requireNonNull(locality, "locality");
        }

        /** A workload with no declared locality. */
        public Workload(String service, String serviceAccount, Map<String, String> labels) {
            this(service, serviceAccount, labels, Locality.NONE);
        }
    }

    /**
     * The listener in front of the workload.
     *
     * @param port where the proxy accepts traffic for the workload
     * @param appPort the workload's own port on loopback
     */
    public record Inbound(int port, int appPort, Protocol protocol) {
        public Inbound {
            Objects.requireNonNull(protocol, "protocol");
        }
    }

    /**
     * An explicit outbound listener: the workload calls {@code 127.0.0.1:bindPort} to reach
     * {@code service} on its port {@code port}.
     *
     * @param service the fully qualified host of the service
     */
    public record Upstream(String service, int port, int bindPort) {
        public Upstream {
            Objects.requireNonNull(service, "service");
        }
    }

    /** The admin listener: readiness, config dump and metrics. */
    public record Admin(int port) {
        public static final int DEFAULT_PORT = 15000;
    }
}
