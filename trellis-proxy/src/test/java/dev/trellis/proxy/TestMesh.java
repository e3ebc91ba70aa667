package dev.trellis.proxy;

import dev.trellis.model.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Config files in a temporary directory and the in-process proxies started from them. */
final class TestMesh implements AutoCloseable {
    final Path dir;
    private final List<StandaloneProxy> proxies = new ArrayList<>();
    private final List<AutoCloseable> others = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    TestMesh() {
        try {
            dir = Files.createTempDirectory("trellis-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes (or rewrites) a config file. */
    Path write(String name, String yaml) {
        try {
            Path file = dir.resolve(name);
            Path tmp = dir.resolve("." + name + ".tmp");
            Files.writeString(tmp, yaml);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    StandaloneProxy start(String proxyName, Path... files) throws ConfigException {
        return start(proxyName, Duration.ofSeconds(5), files);
    }

    StandaloneProxy start(String proxyName, Duration drain, Path... files) throws ConfigException {
        StandaloneProxy proxy = StandaloneProxy.start(
                files.length == 0 ? List.of(dir) : List.of(files), proxyName, new ProxyServer.Options(2, drain));
        proxies.add(proxy);
        return proxy;
    }

    <T extends AutoCloseable> T closeLater(T resource) {
        others.add(resource);
        return resource;
    }

    HttpResponse<String> get(int port, String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The name of the outbound listener of {@code service} (in namespace default) on its port
     * {@code servicePort}, for an upstream with {@code bindPort: 0}; {@link #port} says the port it got.
     */
    static String outbound(String service, int servicePort) {
        return "outbound|0|" + service + ".default.svc.cluster.local:" + servicePort;
    }

    /** The port a proxy's listener is bound to: listeners bind port 0 and report what they got. */
    static int port(StandaloneProxy proxy, String listener) {
        return proxy.server().port(listener);
    }

    /** The proxy's {@code /config_dump}, parsed. */
    com.fasterxml.jackson.databind.JsonNode configDump(StandaloneProxy proxy) throws IOException, InterruptedException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(get(proxy.server().adminPort(), "/config_dump").body());
    }

    /**
     * A port that nothing listens on, for an endpoint whose connections must be refused. Binding
     * port 0 cannot give one, so this probes: the one use of a probed port in these tests.
     */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        proxies.forEach(StandaloneProxy::close);
        for (AutoCloseable other : others) {
            try {
                other.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot close " + other, e);
            }
        }
    }
}
