package dev.trellis.cli.demo;

import dev.trellis.model.ConfigException;
import dev.trellis.proxy.ProxyServer;
import dev.trellis.proxy.StandaloneProxy;
import dev.trellis.testing.HttpEchoServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The demo's mesh in this JVM: the two catalog apps, their sidecars and the client's sidecar,
 * each proxy started from real config files in a temporary directory, exactly as
 * {@code trellis proxy -c <its file> -c mesh.yaml} would start it.
 */
public final class DemoMesh implements AutoCloseable {
    public static final String CLIENT = "web";
    /** The names the apps answer with in {@code x-served-by}, and their sidecars' names. */
    public static final String V1 = "catalog-v1";
    public static final String V2 = "catalog-v2";
    public static final String CANARY_HEADER = "x-canary";
    public static final String CANARY_VALUE = "always";
    public static final int V1_WEIGHT = 90;

    /** Free ports are found by binding and releasing them, so another process can take one first. */
    private static final int START_ATTEMPTS = 3;
    /** The demo's in-flight requests end long before this; it only bounds a stuck shutdown. */
    private static final ProxyServer.Options PROXY_OPTIONS = new ProxyServer.Options(1, Duration.ofSeconds(2));

    /** One version of catalog: the app and the sidecar in front of it. */
    public record Version(String name, HttpEchoServer app, int inboundPort, StandaloneProxy sidecar) {}

    private final Path dir;
    private final List<AutoCloseable> started = new ArrayList<>();
    private Version v1;
    private Version v2;
    private StandaloneProxy client;
    private int clientPort;

    private DemoMesh(Path dir) {
        this.dir = dir;
    }

    /** Starts everything, or stops what it started and throws. */
    public static DemoMesh start() throws ConfigException {
        for (int attempt = 1; ; attempt++) {
            DemoMesh mesh = new DemoMesh(tempDir());
            try {
                mesh.startAll();
                return mesh;
            } catch (ConfigException | RuntimeException e) {
                mesh.close();
                if (attempt == START_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private void startAll() throws ConfigException {
        HttpEchoServer appV1 = closeLater(new HttpEchoServer(V1).start());
        HttpEchoServer appV2 = closeLater(new HttpEchoServer(V2).start());
        int v1Inbound = freePort();
        int v2Inbound = freePort();
        clientPort = freePort();
        Path mesh = write("mesh.yaml", MeshDocuments.mesh(v1Inbound, v2Inbound, V1_WEIGHT, CANARY_HEADER, CANARY_VALUE));
        Path v1File = write(V1 + ".yaml", MeshDocuments.catalogSidecar("v1", v1Inbound, appV1.port()));
        Path v2File = write(V2 + ".yaml", MeshDocuments.catalogSidecar("v2", v2Inbound, appV2.port()));
        Path clientFile = write(CLIENT + ".yaml", MeshDocuments.clientSidecar(CLIENT, clientPort));
        // Callees first, so the client's first request finds its endpoints listening.
        v1 = new Version(V1, appV1, v1Inbound, startProxy(v1File, mesh, V1));
        v2 = new Version(V2, appV2, v2Inbound, startProxy(v2File, mesh, V2));
        client = startProxy(clientFile, mesh, CLIENT);
    }

    private StandaloneProxy startProxy(Path bootstrap, Path mesh, String name) throws ConfigException {
        return closeLater(StandaloneProxy.start(List.of(bootstrap, mesh), name, PROXY_OPTIONS));
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        started.add(resource);
        return resource;
    }

    public Path configDir() {
        return dir;
    }

    public Version v1() {
        return v1;
    }

    public Version v2() {
        return v2;
    }

    /** Where the client calls catalog: the client sidecar's upstream port. */
    public URI catalogUri(String path) {
        return URI.create("http://127.0.0.1:" + clientPort + path);
    }

    public int clientPort() {
        return clientPort;
    }

    public int clientAdminPort() {
        return client.server().adminPort();
    }

    /**
     * Stops the client's sidecar first (so no new request reaches catalog), then catalog's
     * sidecars, then the apps, and removes the config files. Idempotent.
     */
    @Override
    public synchronized void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                // Keep closing the rest: one stuck part must not leave the others running.
            }
        }
        started.clear();
        deleteDir();
    }

    private Path write(String name, String yaml) {
        try {
            return Files.writeString(dir.resolve(name), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void deleteDir() {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("trellis-demo-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
