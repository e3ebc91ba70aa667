package dev.trellis.controlplane.xds;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Puts the address a stream comes from in its gRPC context, where the stream-open callback reads
 * it: a proxy registers its workload at the address it connects from.
 */
final class PeerAddress implements ServerInterceptor {
    static final Context.Key<String> KEY = Context.key("trellis-peer-address");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String address = remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress()
                : "";
        return Contexts.interceptCall(Context.current().withValue(KEY, address), call, headers, next);
    }
}
