package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Code;
import dev.trellis.model.ConfigException;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxy's aggregated xDS stream (ADS, state of the world, v3) to its control plane: it
 * subscribes, hands each response to a {@link Handler} and answers it with an ACK or a NACK,
 * keeps the subscriptions to endpoints and route configurations in step with the clusters and
 * listeners accepted, and reconnects when the stream breaks, with exponential backoff and full
 * jitter, trying the control planes in turn.
 *
 * <p>The protocol, as java-control-plane's server expects it:
 * <ul>
 *   <li>CDS and LDS are wildcard subscriptions (no resource names); EDS and RDS name what the
 *       accepted clusters and listeners name, and are sent again whenever that changes;</li>
 *   <li>every request carries the node, the latest nonce received for its type (a server drops a
 *       request with a stale one) and the version last accepted for its type;</li>
 *   <li>an ACK carries the response's version and nonce; a NACK the previous accepted version, the
 *       response's nonce and {@code error_detail} (INVALID_ARGUMENT, with every reason);</li>
 *   <li>every refusal is a NACK, so the control plane always knows what the proxy runs. A response
 *       refused again for the same reasons, at the same version, is NACKed again only after a
 *       delay that doubles with each copy (1 s up to 30 s): some servers (java-control-plane's
 *       plain {@code SimpleCache}) answer a NACK by sending the very same response at once, and a
 *       client that NACKs each copy at once loops with them at network speed. Trellis's own
 *       control plane holds a NACKed version instead, until its configuration changes;</li>
 *   <li>after a reconnect everything is subscribed again, with the versions accepted so far.</li>
 * </ul>
 *
 * <p>All of its state is touched on one executor, one task at a time: gRPC's callbacks only hand
 * work over to it.
 */
public final class AdsClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdsClient.class);

    /** The largest response accepted, in bytes: a whole configuration travels in one message. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    /** How long the NACK of a response refused again waits, at first and at most; it doubles with each copy. */
    static final long REPEAT_NACK_FIRST_MILLIS = 1_000;
    static final long REPEAT_NACK_MAX_MILLIS = 30_000;

    /** Takes what the control plane sends. Called on the client's executor only. */
    public interface Handler {
        /** What has been accepted so far: the versions to request from, the names to subscribe to. */
        XdsState accepted();

        /**
         * Applies the resources of one response, by name. Throws, with every reason, to refuse
         * them; nothing has changed then.
         */
        void update(XdsType type, String version, Map<String, Message> resources) throws ConfigException;
    }

    private record Refusal(String version, String reasons) {}

    private final ControlPlaneAddresses addresses;
    private final Handler handler;
    private final Backoff backoff;
    private final ScheduledExecutorService executor;
    private final AdsStatus status;
    private Node node;
    private Stream stream;
    private ScheduledFuture<?> retry;
    private int failuresInARow;
    private boolean closed;

    /**
     * @param executor runs every task of the client, one at a time; the handler is called on it
     */
    public AdsClient(ControlPlaneAddresses addresses, Node node, Handler handler, Backoff backoff,
            ScheduledExecutorService executor, AdsStatus status) {
        this.addresses = addresses;
        this.node = node;
        this.handler = handler;
        this.backoff = backoff;
        this.executor = executor;
        this.status = status;
    }

    /** Opens the first stream. */
    public void start() {
        run(this::connect);
    }

    /** Ends the current stream and opens a new one at once, as {@code node}: its bootstrap changed. */
    public void reconnect(Node newNode) {
        run(() -> {
            node = newNode;
            if (closed) {
                return;
            }
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
            if (stream != null) {
                log.info("reconnecting to control plane {} as node {}", stream.address, node.getId());
                stream.end();
                stream = null;
            }
            backoff.reset();
            connect();
        });
    }

    /** Ends the stream and stops reconnecting; waits for the channel to close. */
    @Override
    public void close() {
        ManagedChannel[] channel = new ManagedChannel[1];
        try {
            executor.submit(() -> {
                closed = true;
                if (retry != null) {
                    retry.cancel(false);
                }
                if (stream != null) {
                    channel[0] = stream.channel;
                    stream.end();
                    stream = null;
                }
            }).get(10, TimeUnit.SECONDS);
        } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
            log.warn("ADS client did not close cleanly: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (channel[0] != null) {
            try {
                channel[0].awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run(Runnable task) {
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("ADS client task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private void connect() {
        retry = null;
        if (closed) {
            return;
        }
        ControlPlaneAddresses.Address address = addresses.current();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(address.host(), address.port(), InsecureChannelCredentials.create())
                .directExecutor() // callbacks only hand work to the executor
                .userAgent("trellis-proxy")
                .maxInboundMessageSize(MAX_RESPONSE_BYTES)
                .keepAliveTime(5, TimeUnit.MINUTES) // what servers allow by default; finds a silently dead peer
                .keepAliveTimeout(20, TimeUnit.SECONDS)
                .build();
        Stream next = new Stream(address, channel);
        stream = next;
        status.connecting(address.toString(), node.getId());
        log.debug("opening an ADS stream to {} as node {}", address, node.getId());
        next.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(next);
        next.watchConnectivity(channel.getState(false));
        XdsState accepted = handler.accepted();
        next.send(XdsType.CLUSTER, accepted.version(XdsType.CLUSTER).orElse(""), null);
        next.send(XdsType.LISTENER, accepted.version(XdsType.LISTENER).orElse(""), null);
        for (XdsType type : List.of(XdsType.ENDPOINT, XdsType.ROUTE)) {
            if (!accepted.subscription(type).isEmpty()) {
                next.send(type, accepted.version(type).orElse(""), null);
            }
        }
    }

    /** The stream ended: try the next control plane after a backoff. */
    private void ended(Stream ended, Status cause) {
        ended.end();
        stream = null;
        if (closed) {
            return;
        }
        if (ended.responded) {
            backoff.reset();
            failuresInARow = 0;
        }
        failuresInARow++;
        String reason = describe(cause);
        ControlPlaneAddresses.Address next = addresses.next();
        long delay = backoff.nextDelayMillis();
        status.disconnected(ended.address.toString(), reason, delay);
        String retrying = "; retrying " + (next.equals(ended.address) ? "" : "with " + next + " ") + "in " + delay + " ms";
        if (ended.connected) {
            log.warn("lost control plane {}: {}{}", ended.address, reason, retrying);
        } else if (failuresInARow == 1) {
            log.warn("cannot reach control plane {}: {}{}", ended.address, reason, retrying);
        } else {
            log.info("still cannot reach control plane {}: {}{}", ended.address, reason, retrying);
        }
        retry = executor.schedule(() -> {
            try {
                connect();
            } catch (RuntimeException e) {
                log.error("cannot open an ADS stream", e);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    private static String describe(Status status) {
        StringBuilder reason = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            reason.append(": ").append(status.getDescription());
        }
        Throwable cause = status.getCause();
        while (cause != null && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (cause != null && cause.getMessage() != null && !reason.toString().contains(cause.getMessage())) {
            reason.append(" (").append(cause.getMessage()).append(')');
        }
        return reason.toString();
    }

    /** One ADS stream to one control plane: its nonces, subscriptions and refusals. */
    private final class Stream implements StreamObserver<DiscoveryResponse> {
        final ControlPlaneAddresses.Address address;
        final ManagedChannel channel;
        final Map<XdsType, String> nonces = new EnumMap<>(XdsType.class);
        final Map<XdsType, Set<String>> subscribed = new EnumMap<>(XdsType.class);
        final Map<XdsType, Refusal> refusals = new EnumMap<>(XdsType.class);
        final Map<XdsType, Long> repeatDelays = new EnumMap<>(XdsType.class);
        StreamObserver<DiscoveryRequest> requests;
        boolean connected;
        boolean responded;
        boolean ended;

        Stream(ControlPlaneAddresses.Address address, ManagedChannel channel) {
            this.address = address;
            this.channel = channel;
        }

        // gRPC's callbacks, on its threads: hand over to the executor, for this stream only while it is current.

        @Override
        public void onNext(DiscoveryResponse response) {
            run(() -> {
                if (stream == this && !ended) {
                    handle(response);
                }
            });
        }

        @Override
        public void onError(Throwable error) {
            run(() -> {
                if (stream == this && !ended) {
                    ended(this, Status.fromThrowable(error));
                }
            });
        }

        @Override
        public void onCompleted() {
            run(() -> {
                if (stream == this && !ended) {
                    ended(this, Status.UNAVAILABLE.withDescription("the control plane closed the stream"));
                }
            });
        }

        /** Marks the stream connected once its channel is READY, which it may already be (a loopback connect is quick). */
        void watchConnectivity(ConnectivityState seen) {
            if (seen == ConnectivityState.READY) {
                connected();
            }
            if (seen == ConnectivityState.SHUTDOWN) {
                return;
            }
            channel.notifyWhenStateChanged(seen, () -> run(() -> {
                if (stream == this && !ended) {
                    watchConnectivity(channel.getState(false));
                }
            }));
        }

        void connected() {
            if (!connected) {
                connected = true;
                failuresInARow = 0;
                status.connected(address.toString());
                log.info("connected to control plane {} as node {}", address, node.getId());
            }
        }

        void end() {
            ended = true;
            channel.shutdownNow();
        }

        void handle(DiscoveryResponse response) {
            responded = true;
            connected();
            XdsType type = XdsType.ofTypeUrl(response.getTypeUrl()).orElse(null);
            if (type == null) {
                log.warn("ignoring a response of type {}, which the proxy did not subscribe to", response.getTypeUrl());
                return;
            }
            nonces.put(type, response.getNonce());
            String version = response.getVersionInfo();
            try {
                handler.update(type, version, resources(type, response));
            } catch (ConfigException e) {
                refused(type, response, e.getMessage());
                return;
            } catch (RuntimeException e) {
                log.error("{} version {}: applying it failed", type.shortName(), version, e);
                refused(type, response, "applying it failed: " + e);
                return;
            }
            refusals.remove(type);
            repeatDelays.remove(type);
            status.accepted(type);
            send(type, version, null);
            log.info("accepted {} version {} from {} ({} resources)", type.shortName(), version, address,
                    response.getResourcesCount());
            for (XdsType named : List.of(XdsType.ENDPOINT, XdsType.ROUTE)) {
                Set<String> names = handler.accepted().subscription(named);
                Set<String> sent = subscribed.get(named);
                if (sent == null ? !names.isEmpty() : !sent.equals(names)) {
                    send(named, handler.accepted().version(named).orElse(""), null);
                }
            }
        }

        private void refused(XdsType type, DiscoveryResponse response, String reasons) {
            String version = response.getVersionInfo();
            Refusal refusal = new Refusal(version, reasons);
            if (refusal.equals(refusals.get(type))) {
                // The same response again: see the class comment. NACK it, but not at once.
                long delay = repeatDelays.merge(type, REPEAT_NACK_FIRST_MILLIS, (d, first) -> Math.min(d * 2, REPEAT_NACK_MAX_MILLIS));
                log.info("{} version {} came again from {}, refused for the same reasons; NACKing it again in {} ms",
                        type.shortName(), version, address, delay);
                executor.schedule(() -> {
                    if (stream == this && !ended && response.getNonce().equals(nonces.get(type))) {
                        send(type, handler.accepted().version(type).orElse(""), reasons);
                    }
                }, delay, TimeUnit.MILLISECONDS);
                return;
            }
            refusals.put(type, refusal);
            repeatDelays.remove(type);
            status.refused(type, version, response.getNonce(), reasons);
            log.warn("refused {} version {} from {}; the running configuration stays: {}", type.shortName(), version,
                    address, reasons);
            send(type, handler.accepted().version(type).orElse(""), reasons);
        }

        void send(XdsType type, String version, String error) {
            Set<String> names = handler.accepted().subscription(type);
            DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
                    .setNode(node)
                    .setTypeUrl(type.typeUrl())
                    .setVersionInfo(version)
                    .setResponseNonce(nonces.getOrDefault(type, ""))
                    .addAllResourceNames(names);
            if (error != null) {
                request.setErrorDetail(com.google.rpc.Status.newBuilder()
                        .setCode(Code.INVALID_ARGUMENT_VALUE)
                        .setMessage(error));
            }
            if (type.namedByOthers()) {
                subscribed.put(type, names);
            }
            log.debug("{} request to {}: version '{}', nonce '{}', names {}{}", type.shortName(), address, version,
                    request.getResponseNonce(), names, error == null ? "" : " (NACK)");
            requests.onNext(request.build());
        }
    }

    /**
     * The resources of a response by name, each read as its type.
     *
     * @throws ConfigException listing every resource that is not of the response's type, cannot be
     *     read, or shares its name with another
     */
    static Map<String, Message> resources(XdsType type, DiscoveryResponse response) throws ConfigException {
        Map<String, Message> byName = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < response.getResourcesCount(); i++) {
            Any any = response.getResources(i);
            String where = type.shortName() + " version " + response.getVersionInfo() + ": resources[" + i + "]";
            if (!any.getTypeUrl().equals(type.typeUrl())) {
                problems.add(where + ": " + any.getTypeUrl() + " (expected: " + type.typeUrl() + ")");
                continue;
            }
            try {
                Message resource = any.unpack(type.messageClass());
                String name = XdsState.name(type, resource);
                if (byName.put(name, resource) != null) {
                    problems.add(where + ": a second resource named " + name + " (expected: one per name)");
                }
            } catch (InvalidProtocolBufferException e) {
                problems.add(where + ": cannot be read as " + type.messageClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return byName;
    }
}
