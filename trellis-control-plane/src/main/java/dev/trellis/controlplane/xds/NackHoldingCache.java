package dev.trellis.controlplane.xds;

import com.google.common.collect.ImmutableSet;
import com.google.common.collect.MapMaker;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * java-control-plane's snapshot cache, made to hold a rejected version until the snapshot
 * changes, and to know a stream's node on every request of the stream. A client NACKs by naming the last version it accepted, so the plain cache sees an old
 * version and sends the same snapshot again at once: the client rejects it again, and the two
 * loop as fast as the network allows. Here a NACKed request is answered as if the client held the
 * rejected version, which parks its watch until a new snapshot (a new version) comes.
 *
 * <p>xDS lets a client name its node in the first request of a stream only (Envoy can be set to),
 * but the plain cache picks a request's snapshot by the node the request itself carries: later
 * requests would go to the wrong group. Here a request without a node is answered for its stream's.
 *
 * <p>It is also a server callback: it learns each stream's node, which version each response
 * carried (by stream, type and nonce) and, when a request NACKs that nonce, which version to hold.
 * The server calls {@code onV3StreamRequest} and then {@code createWatch} on one thread with the
 * same request object, which carries the findings from one to the other (in maps weak in the
 * request, so a request the server drops leaves nothing behind).
 */
final class NackHoldingCache extends SimpleCache<String> implements DiscoveryServerCallbacks {
    /** The last response per stream and type: its nonce and version. */
    private record Sent(String nonce, String version) {}

    private final Map<String, Sent> lastSent = new ConcurrentHashMap<>();
    private final Map<Long, Node> streamNodes = new ConcurrentHashMap<>();
    private final Map<DiscoveryRequest, String> nacked = new MapMaker().weakKeys().makeMap();
    private final Map<DiscoveryRequest, Node> nodeless = new MapMaker().weakKeys().makeMap();

    NackHoldingCache(NodeGroup<String> groups) {
        super(groups);
    }

    @Override
    public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
        lastSent.put(key(streamId, response.getTypeUrl()), new Sent(response.getNonce(), response.getVersionInfo()));
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
        if (!request.getNode().getId().isEmpty()) {
            streamNodes.putIfAbsent(streamId, request.getNode());
        } else {
            Node node = streamNodes.get(streamId);
            if (node != null) {
                nodeless.put(request, node);
            }
        }
        if (request.hasErrorDetail()) {
            Sent sent = lastSent.get(key(streamId, request.getTypeUrl()));
            // A NACK of an older response is stale: the server drops it before creating a watch.
            if (sent != null && sent.nonce().equals(request.getResponseNonce())) {
                nacked.put(request, sent.version());
            }
        }
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
        lastSent.keySet().removeIf(k -> k.startsWith(streamId + "|"));
        streamNodes.remove(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
        onStreamClose(streamId, typeUrl);
    }

    @Override
    public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
            Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
        DiscoveryRequest raw = request.v3Request();
        String held = nacked.remove(raw);
        Node node = nodeless.remove(raw);
        if (held == null && node == null) {
            return super.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
        }
        DiscoveryRequest.Builder rewritten = raw.toBuilder();
        if (node != null) {
            rewritten.setNode(node);
        }
        if (held == null) {
            return super.createWatch(ads, XdsRequest.create(rewritten.build()), knownResourceNames, responseConsumer,
                    hasClusterChanged, allowDefaultEmptyEdsUpdate);
        }
        // Answered as if the client held the rejected version. Known names equal to the requested
        // ones, and no cluster change: neither shortcut answers at once.
        return super.createWatch(ads, XdsRequest.create(rewritten.setVersionInfo(held).build()),
                ImmutableSet.copyOf(raw.getResourceNamesList()), responseConsumer, false, allowDefaultEmptyEdsUpdate);
    }

    private static String key(long streamId, String typeUrl) {
        return streamId + "|" + typeUrl;
    }
}
