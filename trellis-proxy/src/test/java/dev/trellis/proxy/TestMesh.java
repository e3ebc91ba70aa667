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
        return start(proxyName, new ProxyServer.Options(2, drain), files);
    }

    /** A proxy on one event loop: all its connections, and so all their upstream streams, share one loop's pools. */
    StandaloneProxy startOnOneLoop(String proxyName) throws ConfigException {
        return start(proxyName, new ProxyServer.Options(1, Duration.ofSeconds(5)));
    }

    private StandaloneProxy start(String proxyName, ProxyServer.Options options, Path... files) throws ConfigException {
        StandaloneProxy proxy = StandaloneProxy.start(files.length == 0 ? List.of(dir) : List.of(files), proxyName, options);
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
     * The documents most tests start from: a proxy named {@code client} with an upstream for
     * {@code service} (port 80, bound on port 0) and an admin port, and a ServiceEntry declaring
     * {@code service} with one HTTP endpoint on loopback per port given.
     */
    static String clientOf(String service, int... endpointPorts) {
        StringBuilder endpoints = new StringBuilder();
        for (int port : endpointPorts) {
            endpoints.append("  - {address: 127.0.0.1, ports: {http: ").append(port).append("}}\n");
        }
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: %1$s, port: 80, bindPort: 0}]
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: %1$s}
                spec:
                  hosts: [%1$s]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                %2$s""".formatted(service, endpoints);
    }

    /** One of Envoy's cluster counters ({@code envoy_cluster_<name>}) from the proxy's metrics. */
    long clusterCounter(StandaloneProxy proxy, String cluster, String name) throws IOException, InterruptedException {
        String text = get(proxy.server().adminPort(), "/stats/prometheus").body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^envoy_cluster_" + name + "\\{cluster_name=\""
                + java.util.regex.Pattern.quote(cluster) + "\"} (\\d+)$").matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + name + " for " + cluster + " in:\n" + text);
        }
        return Long.parseLong(m.group(1));
    }

    /** The running state of one cluster, from the proxy's {@code /config_dump}. */
    com.fasterxml.jackson.databind.JsonNode clusterDump(StandaloneProxy proxy, String cluster) throws IOException, InterruptedException {
        for (com.fasterxml.jackson.databind.JsonNode c : configDump(proxy).path("clusters")) {
            if (c.path("name").asText().equals(cluster)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + cluster + " in the config dump");
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
