package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.TcpEchoServer;
import dev.trellis.testing.WebSocketEchoServer;
import dev.trellis.testing.WebSocketTestClient;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2, gRPC, WebSocket and TCP through two proxies: the caller's sidecar (outbound) and the
 * callee's sidecar (inbound), as traffic crosses a mesh.
 */
class ProtocolsTest {
    static TestMesh mesh;
    static Server grpcServer;
    static int h2Port, grpcPort, wsPort, tcpPort;

    static final MethodDescriptor<String, String> UNARY = method("Greeter/Hello", MethodDescriptor.MethodType.UNARY);
    static final MethodDescriptor<String, String> STREAM = method("Greeter/Chat", MethodDescriptor.MethodType.BIDI_STREAMING);

    @BeforeAll
    static void start() throws Exception {
        mesh = new TestMesh();
        HttpEchoServer h2App = mesh.closeLater(new HttpEchoServer("h2-app").start());
        WebSocketEchoServer wsApp = mesh.closeLater(new WebSocketEchoServer("ws-app").start());
        TcpEchoServer tcpApp = mesh.closeLater(new TcpEchoServer("tcp-app").start());
        grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(greeter())
                .build()
                .start();

        int h2Inbound = TestMesh.freePort(), grpcInbound = TestMesh.freePort(), wsInbound = TestMesh.freePort(), tcpInbound = TestMesh.freePort();
        h2Port = TestMesh.freePort();
        grpcPort = TestMesh.freePort();
        wsPort = TestMesh.freePort();
        tcpPort = TestMesh.freePort();
        String sidecars = """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: h2-app}
                spec:
                  inbound: {port: %d, appPort: %d, protocol: HTTP2}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: greeter}
                spec:
                  inbound: {port: %d, appPort: %d, protocol: GRPC}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: ws-app}
                spec:
                  inbound: {port: %d, appPort: %d, protocol: HTTP}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: tcp-app}
                spec:
                  inbound: {port: %d, appPort: %d, protocol: TCP}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams:
                  - {service: h2-app, port: 80, bindPort: %d}
                  - {service: greeter, port: 50051, bindPort: %d}
                  - {service: ws-app, port: 80, bindPort: %d}
                  - {service: tcp-app, port: 9000, bindPort: %d}
                  admin: {port: 0}
                """.formatted(h2Inbound, h2App.port(), grpcInbound, grpcServer.getPort(), wsInbound, wsApp.port(),
                tcpInbound, tcpApp.port(), h2Port, grpcPort, wsPort, tcpPort);
        String services = """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: h2-app}
                spec:
                  hosts: [h2-app]
                  ports: [{number: 80, name: http2, protocol: HTTP2}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http2: %d}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: greeter}
                spec:
                  hosts: [greeter]
                  ports: [{number: 50051, name: grpc, protocol: GRPC}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ws-app}
                spec:
                  hosts: [ws-app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: tcp-app}
                spec:
                  hosts: [tcp-app]
                  ports: [{number: 9000, name: tcp, protocol: TCP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {tcp: %d}}]
                """.formatted(h2Inbound, grpcInbound, wsInbound, tcpInbound);
        mesh.write("proxies.yaml", sidecars);
        mesh.write("services.yaml", services);
        for (String name : List.of("h2-app", "greeter", "ws-app", "tcp-app", "client")) {
            mesh.start(name);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
        grpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void http2WithPriorKnowledgePassesThrough() throws Exception {
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", h2Port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, Duration.ofSeconds(5))) {
            for (int i = 0; i < 3; i++) {
                Http2TestClient.Response response = client.post("/h2/" + i, Map.of("x-test", "yes"), "hello");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.protocol()).isEqualTo("HTTP/2");
                assertThat(response.header("x-served-by")).isEqualTo("h2-app");
                assertThat(response.body()).contains("\"protocol\":\"HTTP/2\"").contains("\"bodyBytes\":5").contains("\"x-test\":\"yes\"");
            }
        }
    }

    @Test
    void http11UpgradedToH2cPassesThrough() throws Exception {
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", h2Port, Http2TestClient.Mode.UPGRADE, Duration.ofSeconds(5))) {
            Http2TestClient.Response first = client.get("/upgraded", Map.of());
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.protocol()).isEqualTo("HTTP/2");
            assertThat(first.body()).contains("\"path\":\"/upgraded\"").contains("\"protocol\":\"HTTP/2\"");
            assertThat(client.get("/second", Map.of()).body()).contains("\"path\":\"/second\"");
        }
    }

    @Test
    void http11ClientReachesHttp2Upstream() throws Exception {
        var response = mesh.get(h2Port, "/from-h1");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"protocol\":\"HTTP/2\"").contains("\"path\":\"/from-h1\"");
    }

    @Test
    void grpcUnaryAndStreamingPassThrough() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            assertThat(ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "mesh"))
                    .isEqualTo("hello mesh");

            StatusRuntimeException failure = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                    () -> ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "fail"));
            assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(failure.getStatus().getDescription()).isEqualTo("no greeting for fail");

            List<String> replies = new ArrayList<>();
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(
                    channel.newCall(STREAM, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(String value) {
                            synchronized (replies) {
                                replies.add(value);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
            for (int i = 0; i < 100; i++) {
                requests.onNext("m" + i);
            }
            requests.onCompleted();
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(replies).hasSize(101).startsWith("echo m0", "echo m1").endsWith("done after 100");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void webSocketEchoPassesThrough() throws Exception {
        try (WebSocketTestClient client = WebSocketTestClient.connect(URI.create("ws://127.0.0.1:" + wsPort + "/chat"), Duration.ofSeconds(5))) {
            assertThat(client.sendText("hello")).isEqualTo("ws-app: hello");
            byte[] binary = new byte[200_000];
            new java.util.Random(1).nextBytes(binary);
            assertThat(client.sendBinary(binary)).isEqualTo(binary);
            assertThat(client.sendText("again")).isEqualTo("ws-app: again");
        }
    }

    @Test
    void tcpEchoPassesThrough() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", tcpPort)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] payload = new byte[1_000_000];
            new java.util.Random(2).nextBytes(payload);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(payload);
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] echoed = in.readNBytes(payload.length);
            writer.join();
            assertThat(echoed).isEqualTo(payload);
        }
    }

    private static ServerServiceDefinition greeter() {
        return ServerServiceDefinition.builder("Greeter")
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((String name, StreamObserver<String> reply) -> {
                    if (name.equals("fail")) {
                        reply.onError(Status.INVALID_ARGUMENT.withDescription("no greeting for fail").asRuntimeException());
                        return;
                    }
                    reply.onNext("hello " + name);
                    reply.onCompleted();
                }))
                .addMethod(STREAM, ServerCalls.asyncBidiStreamingCall(reply -> new StreamObserver<String>() {
                    int count;

                    @Override
                    public void onNext(String message) {
                        count++;
                        reply.onNext("echo " + message);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {
                        reply.onNext("done after " + count);
                        reply.onCompleted();
                    }
                }))
                .build();
    }

    private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
        MethodDescriptor.Marshaller<String> utf8 = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(String value) {
                return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public String parse(InputStream stream) {
                try {
                    return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        return MethodDescriptor.<String, String>newBuilder()
                .setType(type)
                .setFullMethodName(name)
                .setRequestMarshaller(utf8)
                .setResponseMarshaller(utf8)
                .build();
    }

}
