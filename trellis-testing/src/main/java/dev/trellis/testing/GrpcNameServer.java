package dev.trellis.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC server on 127.0.0.1 that answers every call of its one method with its own name, so that
 * a test can tell which instance a client's call reached. Needs no generated code.
 */
public final class GrpcNameServer implements AutoCloseable {
    /** {@code trellis.test.Backend/Name}: a string in, the server's name out. */
    public static final MethodDescriptor<String, String> NAME = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("trellis.test.Backend/Name")
            .setRequestMarshaller(Utf8.INSTANCE)
            .setResponseMarshaller(Utf8.INSTANCE)
            .build();

    private final Server server;

    private GrpcNameServer(Server server) {
        this.server = server;
    }

    /** Starts a server answering {@code name}, on a free port. */
    public static GrpcNameServer start(String name) {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerServiceDefinition.builder(NAME.getServiceName())
                        .addMethod(NAME, ServerCalls.asyncUnaryCall((request, response) -> {
                            response.onNext(name);
                            response.onCompleted();
                        }))
                        .build())
                .build();
        try {
            return new GrpcNameServer(server.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getPort();
    }

    /** The name of the server a call on {@code channel} reaches, waiting for the channel to be ready up to {@code deadline}. */
    public static String call(Channel channel, Duration deadline) {
        return ClientCalls.blockingUnaryCall(channel, NAME,
                CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS), "");
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

    /** Strings as UTF-8 bytes: the messages of the one method. */
    private enum Utf8 implements MethodDescriptor.Marshaller<String> {
        INSTANCE;

        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
