package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.TcpEchoServer;
import dev.trellis.testing.WebSocketEchoServer;
import dev.trellis.testing.WebSocketTestClient;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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

        // Each app's sidecar first, its inbound listener on port 0; the client's ServiceEntries
        // then name the ports those listeners got.
        java.nio.file.Path sidecars = mesh.write("sidecars.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: h2-app}
                spec:
                  inbound: {port: 0, appPort: %d, protocol: HTTP2}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: greeter}
                spec:
                  inbound: {port: 0, appPort: %d, protocol: GRPC}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: ws-app}
                spec:
                  inbound: {port: 0, appPort: %d, protocol: HTTP}
                  admin: {port: 0}
                ---
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: tcp-app}
                spec:
                  inbound: {port: 0, appPort: %d, protocol: TCP}
                  admin: {port: 0}
                """.formatted(h2App.port(), grpcServer.getPort(), wsApp.port(), tcpApp.port()));
        int h2Inbound = inboundPort(mesh.start("h2-app", sidecars));
        int grpcInbound = inboundPort(mesh.start("greeter", sidecars));
        int wsInbound = inboundPort(mesh.start("ws-app", sidecars));
        int tcpInbound = inboundPort(mesh.start("tcp-app", sidecars));

        java.nio.file.Path client = mesh.write("client.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams:
                  - {service: h2-app, port: 80, bindPort: 0}
                  - {service: greeter, port: 50051, bindPort: 0}
                  - {service: ws-app, port: 80, bindPort: 0}
                  - {service: tcp-app, port: 9000, bindPort: 0}
                  admin: {port: 0}
                """);
        java.nio.file.Path services = mesh.write("services.yaml", """
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
                """.formatted(h2Inbound, grpcInbound, wsInbound, tcpInbound));
        StandaloneProxy clientProxy = mesh.start("client", client, services);
        h2Port = TestMesh.port(clientProxy, TestMesh.outbound("h2-app", 80));
        grpcPort = TestMesh.port(clientProxy, TestMesh.outbound("greeter", 50051));
        wsPort = TestMesh.port(clientProxy, TestMesh.outbound("ws-app", 80));
        tcpPort = TestMesh.port(clientProxy, TestMesh.outbound("tcp-app", 9000));
    }

    /** The port a sidecar's inbound listener got. */
    private static int inboundPort(StandaloneProxy sidecar) {
        return TestMesh.port(sidecar, "inbound|0");
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

    /** Bodies many flow-control windows long (64 KiB each) cross both proxies whole, both ways, on streams side by side. */
    @Test
    void http2BodiesLongerThanTheFlowControlWindowPassWhole() throws Exception {
        int size = 2 * 1024 * 1024;
        byte[] upload = new byte[size];
        Arrays.fill(upload, (byte) 'u');
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", h2Port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, Duration.ofSeconds(10))) {
            List<CompletableFuture<Http2TestClient.Response>> uploads = new ArrayList<>();
            List<CompletableFuture<Http2TestClient.Response>> downloads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                uploads.add(client.sendAsync("POST", "/up/" + i, Map.of(), upload));
                downloads.add(client.sendAsync("GET", "/bytes/" + size, Map.of(), new byte[0]));
            }
            for (CompletableFuture<Http2TestClient.Response> sent : uploads) {
                Http2TestClient.Response response = sent.get(10, TimeUnit.SECONDS);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).contains("\"bodyBytes\":" + size);
            }
            for (CompletableFuture<Http2TestClient.Response> download : downloads) {
                Http2TestClient.Response response = download.get(10, TimeUnit.SECONDS);
                assertThat(response.status()).isEqualTo(200);
                String body = response.body();
                assertThat(body).hasSize(size);
                for (int i = 0; i < size; i += 4099) {
                    assertThat(body.charAt(i)).as("byte %d", i).isEqualTo((char) ('a' + i % 26));
                }
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
    void grpcUnaryPassesThroughWithItsStatusAndTrailers() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            assertThat(ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "mesh"))
                    .isEqualTo("hello mesh");

            Call failed = Call.start(channel, UNARY);
            failed.call.sendMessage("fail");
            failed.call.halfClose();
            Status status = failed.closed.get(10, TimeUnit.SECONDS);
            assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(status.getDescription()).isEqualTo("no greeting for fail");
            assertThat(failed.trailers.get().get(REASON)).isEqualTo("unknown name");
            assertThat(failed.replies).isEmpty();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void grpcBidiStreamInterleavesThenEndsWithItsStatusAndTrailers() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            Call chat = Call.start(channel, STREAM);
            for (int i = 0; i < 20; i++) {
                // Ping-pong: the next message goes only once the reply to this one came back,
                // which holds only if the proxies pass each message on as it comes, both ways.
                chat.call.sendMessage("m" + i);
                assertThat(chat.replies.poll(10, TimeUnit.SECONDS)).as("reply to m" + i).isEqualTo("echo m" + i);
            }
            chat.call.halfClose();
            assertThat(chat.replies.poll(10, TimeUnit.SECONDS)).isEqualTo("done after 20");
            Status status = chat.closed.get(10, TimeUnit.SECONDS);
            assertThat(status.getCode()).isEqualTo(Status.Code.OK);
            assertThat(chat.trailers.get().get(COUNT)).isEqualTo("20");
            assertThat(chat.headers.get().get(GREETING)).as("the server's headers, before any message").isEqualTo("hi");
            assertThat(chat.replies).isEmpty();

            Call stopped = Call.start(channel, STREAM);
            stopped.call.sendMessage("m0");
            assertThat(stopped.replies.poll(10, TimeUnit.SECONDS)).isEqualTo("echo m0");
            stopped.call.sendMessage("fail");
            Status failure = stopped.closed.get(10, TimeUnit.SECONDS);
            assertThat(failure.getCode()).as("a status after messages").isEqualTo(Status.Code.ABORTED);
            assertThat(failure.getDescription()).isEqualTo("stopped at message 2");
            assertThat(stopped.trailers.get().get(COUNT)).isEqualTo("2");
            assertThat(stopped.replies).isEmpty();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** One call, its messages collected as they come, its headers, status and trailers kept. */
    private static final class Call {
        final ClientCall<String, String> call;
        final java.util.concurrent.BlockingQueue<String> replies = new java.util.concurrent.LinkedBlockingQueue<>();
        final java.util.concurrent.atomic.AtomicReference<Metadata> headers = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicReference<Metadata> trailers = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.CompletableFuture<Status> closed = new java.util.concurrent.CompletableFuture<>();

        private Call(ClientCall<String, String> call) {
            this.call = call;
        }

        static Call start(ManagedChannel channel, MethodDescriptor<String, String> method) {
            Call c = new Call(channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)));
            c.call.start(new ClientCall.Listener<>() {
                @Override
                public void onHeaders(Metadata received) {
                    c.headers.set(received);
                }

                @Override
                public void onMessage(String message) {
                    c.replies.add(message);
                    c.call.request(1);
                }

                @Override
                public void onClose(Status status, Metadata received) {
                    c.trailers.set(received);
                    c.closed.complete(status);
                }
            }, new Metadata());
            c.call.request(1);
            return c;
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

    static final Metadata.Key<String> COUNT = Metadata.Key.of("x-chat-count", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> REASON = Metadata.Key.of("x-reason", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> GREETING = Metadata.Key.of("x-greeting", Metadata.ASCII_STRING_MARSHALLER);

    private static ServerServiceDefinition greeter() {
        return ServerServiceDefinition.builder("Greeter")
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((String name, StreamObserver<String> reply) -> {
                    if (name.equals("fail")) {
                        Metadata trailers = new Metadata();
                        trailers.put(REASON, "unknown name");
                        reply.onError(Status.INVALID_ARGUMENT.withDescription("no greeting for fail").asRuntimeException(trailers));
                        return;
                    }
                    reply.onNext("hello " + name);
                    reply.onCompleted();
                }))
                .addMethod(STREAM, (ServerCall<String, String> call, Metadata requestHeaders) -> {
                    // Echoes each message at once; at the client's end, or at a message "fail",
                    // closes with the count of messages in a trailer.
                    Metadata headers = new Metadata();
                    headers.put(GREETING, "hi");
                    call.sendHeaders(headers);
                    call.request(1);
                    return new ServerCall.Listener<>() {
                        int count;

                        @Override
                        public void onMessage(String message) {
                            count++;
                            if (message.equals("fail")) {
                                call.close(Status.ABORTED.withDescription("stopped at message " + count), trailers(count));
                                return;
                            }
                            call.sendMessage("echo " + message);
                            call.request(1);
                        }

                        @Override
                        public void onHalfClose() {
                            call.sendMessage("done after " + count);
                            call.close(Status.OK, trailers(count));
                        }
                    };
                })
                .build();
    }

    private static Metadata trailers(int count) {
        Metadata trailers = new Metadata();
        trailers.put(COUNT, Integer.toString(count));
        return trailers;
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
