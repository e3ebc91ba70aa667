package dev.trellis.proxy.upstream;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FutureListener;
import io.netty.util.concurrent.Promise;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.resilience.Permit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

/**
 * The HTTP/2 connections of one event loop to one endpoint, and the requests waiting for a stream
 * on them. Runs on that event loop only.
 *
 * <p>A request takes a stream on the first connection, oldest first, with a free slot: fewer
 * streams open than the peer's current {@code SETTINGS_MAX_CONCURRENT_STREAMS}. Else it waits in a
 * FIFO queue, and a new connection is made when the queue is longer than what the connections
 * still being made are expected to take (the endpoint's last announced limit), while fewer than
 * {@link UpstreamPools.Limits#http2ConnectionsPerEndpoint()} are being made or taking streams.
 * Past {@link UpstreamPools.Limits#pendingPerEndpoint()} waiting requests, a request fails at once
 * with an {@link UpstreamOverflowException}. Waiting requests are served in order as streams close
 * and connections become ready; a request cancelled while it waits leaves the queue.
 *
 * <p>A connection that fails before it is ready (its TCP connect, or its peer's first SETTINGS)
 * fails every waiting request with its cause, as Envoy does, rather than have them wait on an
 * endpoint that cannot be reached.
 */
final class Http2Pool {
    /** Streams a new connection is expected to take when the endpoint has not announced its limit yet (RFC 9113 §6.5.2 advises at least 100). */
    static final int ASSUMED_MAX_STREAMS = 100;

    private final UpstreamPools owner;
    private final EventLoop loop;
    private final PoolKey key;
    private final UpstreamPools.Limits limits;
    private final Map<PoolKey, Http2Pool> registry;
    /** The cluster as last asked for: its breaker bounds the connections made. */
    private Cluster cluster;
    /** Oldest first; connections being made, taking streams, and draining after a GOAWAY. */
    private final List<PooledHttp2Connection> connections = new ArrayList<>(4);
    private final ArrayDeque<Promise<Lease>> pending = new ArrayDeque<>();
    private final FutureListener<Lease> leaveQueueIfCancelled = f -> {
        if (f.isCancelled()) {
            pending.remove(f);
        }
    };
    private final Runnable dispatchTask = this::runDispatch;
    private boolean dispatchScheduled;
    /** The endpoint's SETTINGS_MAX_CONCURRENT_STREAMS as last announced on one of these connections. */
    private int announcedMaxStreams = ASSUMED_MAX_STREAMS;

    /** @param registry the loop's pools by address, which this one leaves once it holds nothing */
    Http2Pool(UpstreamPools owner, EventLoop loop, PoolKey key, UpstreamPools.Limits limits, Map<PoolKey, Http2Pool> registry) {
        this.owner = owner;
        this.loop = loop;
        this.key = key;
        this.limits = limits;
        this.registry = registry;
    }

    PoolKey key() {
        return key;
    }

    Cluster cluster() {
        return cluster;
    }

    void cluster(Cluster cluster) {
        this.cluster = cluster;
    }

    /** The endpoint as {@code host:port}, for messages. */
    String endpoint() {
        return key.address().getHostString() + ":" + key.address().getPort();
    }

    EventLoop loop() {
        return loop;
    }

    /** Completes {@code promise} with a stream now, later, or fails it when the queue is full. */
    void acquire(Promise<Lease> promise) {
        if (pending.isEmpty()) {
            PooledHttp2Connection connection = withFreeStream();
            if (connection != null) {
                connection.openStream(promise);
                return;
            }
        }
        if (pending.size() >= limits.pendingPerEndpoint()) {
            promise.tryFailure(new UpstreamOverflowException(pending.size() + " requests wait for a stream already, and "
                    + liveConnections() + " connections are at their peer's stream limit (limits per event loop and endpoint: "
                    + limits.http2ConnectionsPerEndpoint() + " connections, " + limits.pendingPerEndpoint() + " waiting)"));
            return;
        }
        pending.add(promise);
        promise.addListener(leaveQueueIfCancelled);
        connectIfNeeded();
    }

    /** A request whose stream could not be opened after all: first in the queue again. */
    void requeue(Promise<Lease> promise) {
        if (promise.isDone()) {
            return;
        }
        pending.addFirst(promise);
        promise.addListener(leaveQueueIfCancelled);
        scheduleDispatch();
        connectIfNeeded();
    }

    private PooledHttp2Connection withFreeStream() {
        for (int i = 0; i < connections.size(); i++) {
            PooledHttp2Connection connection = connections.get(i);
            if (connection.freeStreams() > 0) {
                return connection;
            }
        }
        return null;
    }

    /** Serves waiting requests from free streams, then makes the connections the rest need. */
    private void dispatch() {
        Promise<Lease> next;
        while ((next = pending.peek()) != null) {
            if (next.isDone()) {
                pending.poll(); // cancelled; its listener has not run yet
                continue;
            }
            PooledHttp2Connection connection = withFreeStream();
            if (connection == null) {
                break;
            }
            pending.poll();
            connection.openStream(next);
        }
        connectIfNeeded();
    }

    private void connectIfNeeded() {
        int live = 0;
        long expected = 0; // streams the connections being made are expected to take
        for (int i = 0; i < connections.size(); i++) {
            PooledHttp2Connection connection = connections.get(i);
            if (connection.connecting()) {
                live++;
                expected += Math.max(1, announcedMaxStreams);
            } else if (connection.ready()) {
                live++;
            }
        }
        while (pending.size() > expected && live < limits.http2ConnectionsPerEndpoint()) {
            Permit permit = owner.connectionPermit(cluster);
            if (permit == null) {
                return; // the cluster has its maximum: wait for a stream, or for a connection to close
            }
            PooledHttp2Connection connection = new PooledHttp2Connection(this);
            connections.add(connection); // first: it may close, and leave, at once
            connection.connect(owner, permit);
            live++;
            expected += Math.max(1, announcedMaxStreams);
        }
    }

    private int liveConnections() {
        int live = 0;
        for (int i = 0; i < connections.size(); i++) {
            if (connections.get(i).connecting() || connections.get(i).ready()) {
                live++;
            }
        }
        return live;
    }

    /**
     * Something may have freed or added stream slots: serve the waiting requests in a task of their
     * own, after Netty has finished with the frame or close at hand (its count of active streams
     * then agrees with ours).
     */
    void scheduleDispatch() {
        if (dispatchScheduled || pending.isEmpty()) {
            return;
        }
        dispatchScheduled = true;
        try {
            loop.execute(dispatchTask);
        } catch (RejectedExecutionException e) { // the proxy is shutting down
            dispatchScheduled = false;
            failPending(e);
        }
    }

    private void runDispatch() {
        dispatchScheduled = false;
        dispatch();
    }

    /** Connections of the cluster closed somewhere: make those the waiting requests need, if now allowed. */
    void permitsFreed() {
        if (!pending.isEmpty()) {
            connectIfNeeded();
        }
    }

    /** The connection's peer announced its limit (first SETTINGS, or a later one). */
    void limitAnnounced(int maxStreams) {
        announcedMaxStreams = maxStreams;
        scheduleDispatch();
    }

    /** Closed before it was ready, or after; either way it takes no more streams. */
    void connectionClosed(PooledHttp2Connection connection, boolean beforeReady, Throwable cause) {
        connections.remove(connection);
        if (beforeReady) {
            failPending(cause);
        } else {
            scheduleDispatch();
        }
        if (connections.isEmpty() && pending.isEmpty()) {
            registry.remove(key, this);
        }
    }

    private void failPending(Throwable cause) {
        if (pending.isEmpty()) {
            return;
        }
        // Failing one may queue another request (a pipelined one): that one waits for the next connection.
        List<Promise<Lease>> failed = new ArrayList<>(pending);
        pending.clear();
        for (Promise<Lease> promise : failed) {
            promise.tryFailure(cause);
        }
        connectIfNeeded();
    }

    /** For tests and diagnostics: connections being made or taking streams, and requests waiting. */
    @Override
    public String toString() {
        return "Http2Pool[" + endpoint() + ": " + connections + ", " + pending.size() + " waiting]";
    }
}
