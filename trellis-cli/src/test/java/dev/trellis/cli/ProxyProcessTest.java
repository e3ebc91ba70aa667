package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpWire;
import dev.trellis.testing.KeepAliveClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy as its own process, started the way the trellis command starts it. */
class ProxyProcessTest {
    static final String LISTENER = "outbound|0|app.default.svc.cluster.local:80";
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    HttpEchoServer app;
    TrellisProcess proxy;
    int port;
    int adminPort;

    @BeforeEach
    void startApp() {
        app = new HttpEchoServer("app").start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (proxy != null) {
                app.releaseHeld();
                proxy.close();
            }
        } finally {
            app.close();
        }
    }

    private String config() {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: app, port: 80, bindPort: 0}]
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(app.port());
    }

    /** Starts the proxy with its listener and admin port on port 0, and learns the ports it got. */
    private void startProxy(String... jvmFlags) throws Exception {
        Path config = Files.writeString(dir.resolve("mesh.yaml"), config());
        proxy = TrellisProcess.start(dir.resolve("proxy.log"), dir.resolve("home"), List.of(jvmFlags),
                "proxy", "--config", config.toString(), "--threads", "1", "--drain-timeout", "30");
        adminPort = proxy.adminPort();
        port = TrellisProcess.listenerPort(adminPort, LISTENER);
        await().atMost(WAIT).ignoreExceptions().until(() -> admin("/ready").status() == 200);
    }

    private KeepAliveClient.Response admin(String path) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", adminPort, Duration.ofSeconds(10))) {
            return client.get(path);
        }
    }

    private KeepAliveClient.Response get(String path) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            return client.get(path);
        }
    }

    /** Whether a new connection to {@code port} is accepted; false when it is refused. */
    private static boolean accepts(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            return true;
        } catch (ConnectException refused) {
            return false;
        }
    }

    @Test
    void streamsAOneGibUploadWithA64MibHeap() throws Exception {
        startProxy("-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-XX:+UseSerialGC");
        long size = 1L << 30;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/upload"))
                        .timeout(Duration.ofMinutes(3))
                        .POST(HttpRequest.BodyPublishers.fromPublisher(new Zeros(size), size))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"bodyBytes\":" + size);
        assertThat(proxy.process.isAlive()).isTrue();
    }

    @Test
    void aSlowReaderHoldsTheUpstreamBackRatherThanFillingTheProxysMemory() throws Exception {
        // 256 MiB through a proxy allowed 32 MiB of direct memory: it must pass the reader's pace upstream.
        startProxy("-Xmx64m", "-XX:MaxDirectMemorySize=32m", "-XX:+UseSerialGC");
        long size = 256L << 20;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("GET /bytes/" + size + " HTTP/1.1\r\nHost: app\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            // The client reads nothing: the app must stop sending once the buffers on the way are full.
            AtomicLong previous = new AtomicLong(-1);
            long stalledAt = await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(app::bodyBytesSent,
                    sent -> sent > 0 && sent == previous.getAndSet(sent));
            // What fills then is the sockets' buffers (some MiB each way) and the proxy's write
            // buffer up to its high water mark: far less than the proxy may hold.
            assertThat(stalledAt).as("bytes the app sent while the client read none of the %d", size)
                    .isLessThan(32L << 20);
            assertThat(proxy.process.isAlive()).isTrue();

            // Then the client reads it all, and gets every byte.
            InputStream in = socket.getInputStream();
            String head = HttpWire.readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200 OK").contains("content-length: " + size);
            byte[] buffer = new byte[64 * 1024];
            long received = 0;
            int n;
            while (received < size && (n = in.read(buffer, 0, (int) Math.min(buffer.length, size - received))) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != (byte) ('a' + (received + i) % 26)) {
                        throw new AssertionError("byte " + (received + i) + " is " + buffer[i]);
                    }
                }
                received += n;
            }
            assertThat(received).isEqualTo(size);
        }
        assertThat(app.bodyBytesSent()).isEqualTo(size);
        assertThat(proxy.process.isAlive()).isTrue();
        assertThat(proxy.output()).doesNotContain("OutOfMemoryError").doesNotContain("OutOfDirectMemoryError");
    }

    @Test
    void sigtermLetsARequestInFlightFinishWhileNewConnectionsAreRefusedThenExitsZero() throws Exception {
        startProxy();
        try (HttpWire inFlight = HttpWire.connect("127.0.0.1", port, WAIT)) {
            inFlight.write("GET /hold HTTP/1.1\r\nHost: app\r\n\r\n");
            await().atMost(WAIT).until(() -> app.heldCount() == 1); // at the app, which holds it unanswered

            proxy.signal("TERM");

            await().atMost(WAIT).until(() -> !accepts(port));
            KeepAliveClient.Response ready = admin("/ready");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.bodyText()).isEqualTo("DRAINING\n");
            assertThat(app.heldCount()).as("the request is still in flight at the app").isEqualTo(1);
            assertThat(proxy.process.isAlive()).as("the proxy waits for it").isTrue();

            assertThat(app.releaseHeld()).isEqualTo(1);
            HttpWire.Response response = inFlight.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).contains("\"path\":\"/hold\"");
            assertThat(response.header("connection")).as("the last response on a draining connection").isEqualTo("close");
            assertThat(inFlight.awaitPeerClosed()).isTrue();
        }
        assertThat(proxy.awaitExit(WAIT)).isZero();
        assertThat(proxy.output()).contains("trellis proxy: stopped").doesNotContain("drain timeout");
    }

    @Test
    void aStandaloneProxyLoadsNoGrpcClass() throws Exception {
        startProxy("-Xlog:class+load=info");
        assertThat(get("/").status()).isEqualTo(200);
        String log = proxy.output();
        assertThat(log).as("class loading is logged").contains("dev.trellis.proxy.StandaloneProxy");
        assertThat(log).as("gRPC and the ADS client load only with --control-plane")
                .doesNotContain("io.grpc.").doesNotContain("dev.trellis.proxy.xds.AdsClient");
    }

    @Test
    void sighupReloadsTheConfig() throws Exception {
        startProxy();
        Path config = dir.resolve("mesh.yaml");
        // Hold the file's timestamp so only the signal, not the file watch, can apply the change.
        java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(config);
        Files.writeString(config, Files.readString(config) + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app}
                spec:
                  hosts: [app]
                  http:
                  - route: [{destination: {host: app}, headers: {response: {set: {x-reloaded: "yes"}}}}]
                """);
        Files.setLastModifiedTime(config, before);
        Thread.sleep(1500);
        assertThat(get("/").header("x-reloaded")).isNull();

        proxy.signal("HUP");
        await().atMost(Duration.ofSeconds(10)).until(() -> "yes".equals(get("/").header("x-reloaded")));
        assertThat(proxy.process.isAlive()).isTrue();
    }

    @Test
    void rejectsBadConfigWithClearErrorAndExitCode() throws Exception {
        Path config = Files.writeString(dir.resolve("bad.yaml"), """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: app, port: 80, bindPort: 99999}]
                """);
        proxy = TrellisProcess.start(dir.resolve("bad.log"), dir.resolve("home"), "proxy", "--config", config.toString());
        assertThat(proxy.awaitExit(WAIT)).isEqualTo(1);
        assertThat(proxy.output()).contains("bad.yaml (document 1) Proxy default/client: spec.upstreams[0].bindPort: 99999");
    }

    /** A body of {@code size} zero bytes, produced as it is sent and never held whole. */
    private record Zeros(long size) implements Flow.Publisher<ByteBuffer> {
        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            subscriber.onSubscribe(new Flow.Subscription() {
                long sent;
                boolean cancelled;

                @Override
                public synchronized void request(long n) {
                    for (long i = 0; i < n && sent < size && !cancelled; i++) {
                        int chunk = (int) Math.min(64 * 1024, size - sent);
                        sent += chunk;
                        subscriber.onNext(ByteBuffer.allocate(chunk));
                        if (sent == size) {
                            subscriber.onComplete();
                        }
                    }
                }

                @Override
                public synchronized void cancel() {
                    cancelled = true;
                }
            });
        }
    }
}
