package dev.trellis.proxy.balance;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream instance as the data plane sees it: where to connect, where it runs and how busy it
 * is. Endpoint objects outlive config reloads when their cluster does not change, so their load
 * counters, warm-up start and latency estimate stay true across reloads.
 */
public final class Endpoint {
    private final String host;
    private final int port;
    private final InetSocketAddress address;
    private final Map<String, String> labels;
    private final Locality locality;
    private final AtomicInteger activeRequests = new AtomicInteger();
    private final EndpointStats stats = new EndpointStats();
    /** What the upstream pools file this endpoint's connections under, kept so a request finds them without allocating. */
    private volatile Object poolKey;

    /** An endpoint with no declared locality. */
    public Endpoint(String host, int port, Map<String, String> labels) {
        this(host, port, labels, Locality.NONE);
    }

    public Endpoint(String host, int port, Map<String, String> labels, Locality locality) {
        this.host = host;
        this.port = port;
        // IP literals are resolved now (no lookup happens); DNS names at each connect, so a
        // changed record is seen by the next new connection.
        this.address = isIpLiteral(host)
                ? new InetSocketAddress(host, port)
                : InetSocketAddress.createUnresolved(host, port);
        this.labels = Map.copyOf(labels);
        this.locality = Objects.requireNonNull(locality, "locality");
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The key the upstream pools gave this endpoint, or null before its first connection. */
    public Object poolKey() {
        return poolKey;
    }

    public void poolKey(Object key) {
        poolKey = key;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public Map<String, String> labels() {
        return labels;
    }

    /** Where the endpoint runs; {@link Locality#NONE} when not declared. */
    public Locality locality() {
        return locality;
    }

    /** Requests sent to this endpoint and not yet answered. */
    public int activeRequests() {
        return activeRequests.get();
    }

    public void requestStarted() {
        activeRequests.incrementAndGet();
    }

    public void requestEnded() {
        activeRequests.decrementAndGet();
    }

    EndpointStats stats() {
        return stats;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }

    private static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true; // IPv6
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if ((c < '0' || c > '9') && c != '.') {
                return false;
            }
        }
        return !host.isEmpty();
    }
}
