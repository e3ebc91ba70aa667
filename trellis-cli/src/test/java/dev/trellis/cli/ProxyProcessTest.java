package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.HttpEchoServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy as its own process, started the way the trellis command starts it. */
class ProxyProcessTest {
    @TempDir
    Path dir;

    HttpEchoServer app;
    Process proxy;
    int port;
    int adminPort;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void startApp() {
        app = new HttpEchoServer("app").start();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null && proxy.isAlive()) {
            proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        app.close();
    }

    private void startProxy(String... jvmFlags) throws Exception {
        port = freePort();
        adminPort = freePort();
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: app, port: 80, bindPort: %d}]
                  admin: {port: %d}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(port, adminPort, app.port()));
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(List.of(jvmFlags));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "proxy", "--config", config.toString(), "--threads", "1", "--drain-timeout", "10"));
        proxy = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("proxy.log").toFile()).start();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    @Test
    void streamsAOneGibUploadWithA64MibHeap() throws Exception {
        startProxy("-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-XX:+UseSerialGC");
        long size = 1L << 30;
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/upload"))
                        .timeout(Duration.ofMinutes(3))
                        .POST(HttpRequest.BodyPublishers.fromPublisher(new Zeros(size), size))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"bodyBytes\":" + size);
        assertThat(proxy.isAlive()).isTrue();
    }

    @Test
    void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
        startProxy();
        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/delay/1500")).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> app.requestCount() >= 1);
        proxy.destroy(); // SIGTERM

        HttpResponse<String> response = slow.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(proxy.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.exitValue()).isZero();
        assertThat(Files.readString(dir.resolve("proxy.log"))).contains("trellis proxy: stopped");
    }

    @Test
    void aStandaloneProxyLoadsNoGrpcClass() throws Exception {
        startProxy("-Xlog:class+load=info");
        assertThat(get("/").statusCode()).isEqualTo(200);
        String log = Files.readString(dir.resolve("proxy.log"));
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
        assertThat(get("/").headers().firstValue("x-reloaded")).isEmpty();

        new ProcessBuilder("kill", "-HUP", Long.toString(proxy.pid())).start().waitFor();
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/").headers().firstValue("x-reloaded").isPresent());
        assertThat(proxy.isAlive()).isTrue();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
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
        Process bad = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "proxy", "--config", config.toString())
                .redirectErrorStream(true).start();
        String output = new String(bad.getInputStream().readAllBytes());
        assertThat(bad.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bad.exitValue()).isEqualTo(1);
        assertThat(output).contains("bad.yaml (document 1) Proxy default/client: spec.upstreams[0].bindPort: 99999");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
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
