package dev.trellis.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A bare ADS stream for tests: sends exactly the requests a test writes and records every response. */
final class AdsTestClient implements AutoCloseable {
    final List<DiscoveryResponse> responses = new CopyOnWriteArrayList<>();
    volatile Throwable error;
    private final ManagedChannel channel;
    private final StreamObserver<DiscoveryRequest> requests;
    private final Node node;

    AdsTestClient(int port, Node node) {
        this.node = node;
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse response) {
                responses.add(response);
            }

            @Override
            public void onError(Throwable t) {
                error = t;
            }

            @Override
            public void onCompleted() {}
        });
    }

    void request(String typeUrl, String version, String nonce, List<String> names) {
        request(node, typeUrl, version, nonce, names);
    }

    /** A request naming {@code node}, which may be the default (no node), as xDS allows after a stream's first request. */
    void request(Node node, String typeUrl, String version, String nonce, List<String> names) {
        requests.onNext(DiscoveryRequest.newBuilder()
                .setNode(node)
                .setTypeUrl(typeUrl)
                .setVersionInfo(version)
                .setResponseNonce(nonce)
                .addAllResourceNames(names)
                .build());
    }

    void nack(DiscoveryResponse response, String acceptedVersion, String reason) {
        requests.onNext(DiscoveryRequest.newBuilder()
                .setNode(node)
                .setTypeUrl(response.getTypeUrl())
                .setVersionInfo(acceptedVersion)
                .setResponseNonce(response.getNonce())
                .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage(reason))
                .build());
    }

    void ack(DiscoveryResponse response) {
        request(response.getTypeUrl(), response.getVersionInfo(), response.getNonce(), List.of());
    }

    List<DiscoveryResponse> of(String typeUrl) {
        return responses.stream().filter(r -> r.getTypeUrl().equals(typeUrl)).toList();
    }

    @Override
    public void close() {
        requests.onCompleted();
        channel.shutdownNow();
    }
}
