package dev.trellis.proxy;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ADS server driven by hand, for tests that need exact control over what a client receives
 * and in which order: it answers nothing by itself. Tests take the client's requests of each type
 * in order and send the responses they choose, with nonces of their own.
 */
public final class FakeAdsServer implements AutoCloseable {
    private final Map<String, BlockingQueue<DiscoveryRequest>> requests = new ConcurrentHashMap<>();
    private final List<DiscoveryRequest> all = new CopyOnWriteArrayList<>();
    private final AtomicInteger streams = new AtomicInteger();
    private final AtomicInteger nonces = new AtomicInteger();
    private final Server server;
    private volatile StreamObserver<DiscoveryResponse> responses;

    public FakeAdsServer() {
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
                    .addService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
                        @Override
                        public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> out) {
                            streams.incrementAndGet();
                            responses = out;
                            return new StreamObserver<>() {
                                @Override
                                public void onNext(DiscoveryRequest request) {
                                    all.add(request);
                                    queue(request.getTypeUrl()).add(request);
                                }

                                @Override
                                public void onError(Throwable t) {
                                }

                                @Override
                                public void onCompleted() {
                                    out.onCompleted();
                                }
                            };
                        }
                    })
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String address() {
        return "127.0.0.1:" + server.getPort();
    }

    private BlockingQueue<DiscoveryRequest> queue(String typeUrl) {
        return requests.computeIfAbsent(typeUrl, k -> new LinkedBlockingQueue<>());
    }

    /** The client's next request of {@code type}, waiting up to 10 s for it. */
    public DiscoveryRequest next(XdsType type) throws InterruptedException {
        DiscoveryRequest request = queue(type.typeUrl()).poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("no " + type.shortName() + " request within 10 s; all requests: " + all);
        }
        return request;
    }

    /** The client's next request of {@code type} if one comes within {@code wait}, else null. */
    public DiscoveryRequest poll(XdsType type, java.time.Duration wait) throws InterruptedException {
        return queue(type.typeUrl()).poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Requests of {@code type} received and not taken yet. */
    public List<DiscoveryRequest> pending(XdsType type) {
        return List.copyOf(queue(type.typeUrl()));
    }

    /** Every request received, in order. */
    public List<DiscoveryRequest> all() {
        return List.copyOf(all);
    }

    /** Streams opened so far. */
    public int streamCount() {
        return streams.get();
    }

    /** Sends a response on the current stream; returns its nonce. */
    public String respond(XdsType type, String version, List<? extends Message> resources) {
        String nonce = "n" + nonces.incrementAndGet();
        DiscoveryResponse.Builder response = DiscoveryResponse.newBuilder()
                .setTypeUrl(type.typeUrl())
                .setVersionInfo(version)
                .setNonce(nonce);
        resources.forEach(resource -> response.addResources(Any.pack(resource)));
        StreamObserver<DiscoveryResponse> out = responses;
        synchronized (this) {
            out.onNext(response.build());
        }
        return nonce;
    }

    /** Sends a response whose resources are given as they go on the wire. */
    public String respondRaw(XdsType type, String version, List<Any> resources) {
        String nonce = "n" + nonces.incrementAndGet();
        synchronized (this) {
            responses.onNext(DiscoveryResponse.newBuilder().setTypeUrl(type.typeUrl()).setVersionInfo(version)
                    .setNonce(nonce).addAllResources(resources).build());
        }
        return nonce;
    }

    /** Ends the current stream with an error, as a control plane that goes away does. */
    public void breakStream() {
        synchronized (this) {
            responses.onError(Status.UNAVAILABLE.withDescription("test broke the stream").asRuntimeException());
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
