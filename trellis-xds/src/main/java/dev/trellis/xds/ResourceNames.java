package dev.trellis.xds;

/**
 * How Trellis names its xDS resources. Cluster names are Istio's, so operators and dashboards
 * recognise them; a listener's name is its identity across updates (it keeps its socket and its
 * connections while its name stays).
 */
public final class ResourceNames {
    private ResourceNames() {}

    /** {@code outbound|80|v1|catalog.default.svc.cluster.local}; an empty subset for the whole service. */
    public static String outboundCluster(int port, String subset, String host) {
        return "outbound|" + port + "|" + subset + "|" + host;
    }

    /** {@code inbound|8080||}: the local app behind an inbound listener. */
    public static String inboundCluster(int appPort) {
        return "inbound|" + appPort + "||";
    }

    /** {@code outbound|9090|catalog.default.svc.cluster.local:80}: where the workload calls a service. */
    public static String outboundListener(int bindPort, String host, int port) {
        return "outbound|" + bindPort + "|" + host + ":" + port;
    }

    /** {@code inbound|15006}: where other services call the workload. */
    public static String inboundListener(int port) {
        return "inbound|" + port;
    }

    /** {@code catalog.default.svc.cluster.local:80}: the routes for one service port. */
    public static String hostPort(String host, int port) {
        return host + ":" + port;
    }
}
