package dev.trellis.controlplane.xds;

import dev.trellis.model.ProxyBootstrap;
import dev.trellis.xds.ProxyNodes;
import dev.trellis.xds.XdsType;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every ADS stream: which node it serves (known from its first request), where it comes
 * from, what each response carried, and what the client acknowledged or rejected. Tells its
 * listener when a node connects (its first stream) and when it is gone (its last stream closed),
 * and answers {@code proxy-status}.
 */
final class ProxyConnections implements DiscoveryServerCallbacks {
    private static final Logger log = LoggerFactory.getLogger(ProxyConnections.class);

    /** Told when a node's first stream starts and when its last one ends. */
    interface Listener {
        /**
         * A node's first stream started, or a stream of a connected node brought a changed bootstrap.
         *
         * @param bootstrap the node's Proxy document, or empty for a client that is not a Trellis proxy
         */
        void connected(Node node, Optional<ProxyBootstrap> bootstrap, String address);

        /**
         * @param node the node as its first request named it
         * @param trellisProxy whether it was a Trellis proxy, as {@link #connected} was told
         */
        void disconnected(Node node, boolean trellisProxy);
    }

    /** One stream's state; each field is touched by the stream's own calls, which gRPC serializes. */
    private static final class Stream {
        final String address;
        final Instant opened;
        volatile String nodeId;
        final Map<String, TypeState> types = new ConcurrentHashMap<>();

        Stream(String address, Instant opened) {
            this.address = address;
            this.opened = opened;
        }
    }

    /** What one stream's client holds of one type. */
    private record TypeState(String sentVersion, String sentNonce, String acked, ProxyStatus.Nack nack) {
        static final TypeState NONE = new TypeState("", "", "", null);
    }

    /** A node: its streams (usually one; two for a moment while it reconnects), what it is and where it comes from. */
    private record NodeEntry(Node node, Optional<ProxyBootstrap> bootstrap, String address, List<Long> streams) {}

    private final Listener listener;
    /** Tells the listener, one event at a time, in the order the streams' changes were made. */
    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "trellis-xds-events");
        t.setDaemon(true);
        return t;
    });
    private final Clock clock;
    private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
    private final Map<String, NodeEntry> nodes = new TreeMap<>();

    ProxyConnections(Listener listener, Clock clock) {
        this.listener = listener;
        this.clock = clock;
    }

    @Override
    public void onStreamOpen(long streamId, String typeUrl) {
        String address = PeerAddress.KEY.get();
        streams.put(streamId, new Stream(address == null ? "" : address, clock.instant()));
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
        Stream stream = streams.get(streamId);
        if (stream == null) {
            return;
        }
        if (stream.nodeId == null) {
            identify(streamId, stream, request.getNode());
        }
        stream.types.compute(request.getTypeUrl(), (type, state) -> {
            TypeState s = state == null ? TypeState.NONE : state;
            if (request.hasErrorDetail()) {
                if (!request.getResponseNonce().equals(s.sentNonce())) {
                    return s; // the NACK of a response since superseded
                }
                log.warn("{} rejected {} version {}: {}", stream.nodeId, shortName(type), s.sentVersion(),
                        request.getErrorDetail().getMessage());
                return new TypeState(s.sentVersion(), s.sentNonce(), s.acked(),
                        new ProxyStatus.Nack(s.sentVersion(), request.getErrorDetail().getMessage(), clock.instant()));
            }
            // An ACK, or the version a client reconnected with: either way, what it holds now. A
            // rejection stands until the client accepts a version other than the one it kept.
            boolean stillRejected = s.nack() != null && request.getVersionInfo().equals(s.acked());
            return new TypeState(s.sentVersion(), s.sentNonce(), request.getVersionInfo(), stillRejected ? s.nack() : null);
        });
    }

    private void identify(long streamId, Stream stream, Node node) throws RequestException {
        if (node.getId().isEmpty()) {
            throw new RequestException(Status.INVALID_ARGUMENT.withDescription("the first request of a stream must name its node (node.id)"));
        }
        Optional<ProxyBootstrap> bootstrap;
        try {
            bootstrap = ProxyNodes.bootstrap(node);
        } catch (IllegalArgumentException e) {
            throw new RequestException(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
        }
        stream.nodeId = node.getId();
        synchronized (nodes) {
            NodeEntry entry = nodes.get(node.getId());
            List<Long> ids = entry == null ? new ArrayList<>() : entry.streams();
            ids.add(streamId);
            nodes.put(node.getId(), new NodeEntry(node, bootstrap, stream.address, ids));
            if (entry == null) {
                log.info("{} connected from {}{}", node.getId(), stream.address,
                        bootstrap.isEmpty() ? " (not a Trellis proxy: served the whole mesh)" : "");
                tell(() -> listener.connected(node, bootstrap, stream.address));
            } else if (!entry.bootstrap().equals(bootstrap) || !entry.address().equals(stream.address)) {
                // It reconnected (a reloaded Proxy document, a new address) before its old stream was seen to close.
                log.info("{} reconnected from {} with a changed bootstrap or address", node.getId(), stream.address);
                tell(() -> listener.connected(node, bootstrap, stream.address));
            }
        }
    }

    /** Events are queued under the nodes' lock, so the listener hears them in the order they happened. */
    private void tell(Runnable event) {
        events.execute(() -> {
            try {
                event.run();
            } catch (RuntimeException e) {
                log.error("handling a connection event failed", e);
            }
        });
    }

    @Override
    public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
        Stream stream = streams.get(streamId);
        if (stream != null) {
            stream.types.compute(response.getTypeUrl(), (type, state) -> {
                TypeState s = state == null ? TypeState.NONE : state;
                return new TypeState(response.getVersionInfo(), response.getNonce(), s.acked(), s.nack());
            });
        }
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) throws RequestException {
        throw new RequestException(Status.UNIMPLEMENTED.withDescription("incremental (delta) xDS is not served; use state of the world ADS"));
    }

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
        closed(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
        closed(streamId);
    }

    private void closed(long streamId) {
        Stream stream = streams.remove(streamId);
        if (stream == null || stream.nodeId == null) {
            return;
        }
        synchronized (nodes) {
            NodeEntry entry = nodes.get(stream.nodeId);
            if (entry == null) {
                return;
            }
            entry.streams().remove(streamId);
            if (!entry.streams().isEmpty()) {
                return;
            }
            nodes.remove(stream.nodeId);
            log.info("{} disconnected", stream.nodeId);
            boolean trellisProxy = entry.bootstrap().isPresent();
            tell(() -> listener.disconnected(entry.node(), trellisProxy));
        }
    }

    /** Stops telling the listener; events already queued are dropped. */
    void close() {
        events.shutdownNow();
    }

    /** A connected node, as its first request named it. */
    Optional<Node> node(String nodeId) {
        synchronized (nodes) {
            NodeEntry entry = nodes.get(nodeId);
            return entry == null ? Optional.empty() : Optional.of(entry.node());
        }
    }

    /**
     * Every connected node's status.
     *
     * @param current the control plane's version of a type for a node (by node id and type), empty when none is built
     * @param problems what did not resolve in a node's configuration
     */
    List<ProxyStatus> statuses(BiFunction<String, XdsType, String> current, Function<String, List<String>> problems) {
        List<ProxyStatus> statuses = new ArrayList<>();
        synchronized (nodes) {
            for (NodeEntry entry : nodes.values()) {
                Stream stream = streams.get(entry.streams().get(entry.streams().size() - 1));
                if (stream != null) {
                    statuses.add(status(entry, stream, current, problems.apply(entry.node().getId())));
                }
            }
        }
        statuses.sort(Comparator.comparing(ProxyStatus::nodeId));
        return statuses;
    }

    private static ProxyStatus status(NodeEntry entry, Stream stream, BiFunction<String, XdsType, String> current, List<String> problems) {
        Map<String, ProxyStatus.TypeStatus> types = new TreeMap<>();
        boolean nacked = false;
        boolean synced = true;
        for (Map.Entry<String, TypeState> typeEntry : stream.types.entrySet()) {
            Optional<XdsType> type = XdsType.ofTypeUrl(typeEntry.getKey());
            if (type.isEmpty()) {
                continue;
            }
            TypeState state = typeEntry.getValue();
            String version = current.apply(entry.node().getId(), type.get());
            // A rejection counts while the rejected version is the current one; once the
            // configuration moved on (or back to what the client runs), it is history.
            Optional<ProxyStatus.Nack> nack = Optional.ofNullable(state.nack()).filter(n -> n.version().equals(version));
            types.put(type.get().shortName(), new ProxyStatus.TypeStatus(version, state.acked(), nack));
            nacked |= nack.isPresent();
            synced &= !version.isEmpty() && version.equals(state.acked());
        }
        ProxyStatus.State state = nacked ? ProxyStatus.State.NACKED
                : synced && !types.isEmpty() ? ProxyStatus.State.SYNCED
                : ProxyStatus.State.STALE;
        Optional<ProxyBootstrap> bootstrap = entry.bootstrap();
        return new ProxyStatus(entry.node().getId(), bootstrap.map(b -> b.meta().name()), bootstrap.map(b -> b.meta().namespace()),
                stream.address, stream.opened, state, types, problems);
    }

    private static String shortName(String typeUrl) {
        return XdsType.ofTypeUrl(typeUrl).map(XdsType::shortName).orElse(typeUrl);
    }
}
