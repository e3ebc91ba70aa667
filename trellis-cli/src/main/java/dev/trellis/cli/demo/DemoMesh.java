package dev.trellis.cli.demo;

import dev.trellis.cli.client.ApiClient;
import dev.trellis.controlplane.ControlPlane;
import dev.trellis.model.ConfigException;
import dev.trellis.proxy.ConnectedProxy;
import dev.trellis.proxy.ProxyServer;
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
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The demo's mesh in this JVM: a control plane with its store in a temporary directory, the
 * catalog apps (v1, and two replicas of v2), and four sidecars connected to the control plane over ADS, each started from its
 * own {@code Proxy} file and data directory exactly as
 * {@code trellis proxy --control-plane <xds> --config <its file> --data-dir <its dir>} would start
 * it. The catalog sidecars register their apps; nothing declares catalog otherwise.
 */
public final class DemoMesh implements AutoCloseable {
    public static final String CLIENT = "web";
    /** The names the apps answer with in {@code x-served-by}, and their sidecars' names. */
    public static final String V1 = "catalog-v1";
    public static final String V2 = "catalog-v2";
    /** v2's second replica: its sidecar's name; its app answers as {@link #V2}, as a replica would. */
    public static final String V2_B = "catalog-v2-b";
    public static final String CANARY_HEADER = "x-canary";
    public static final String CANARY_VALUE = "always";
    public static final String ROUTING_FILE = "catalog-routes.yaml";

    /** Free ports are found by binding and releasing them, so another process can take one first. */
    private static final int START_ATTEMPTS = 3;
    /** How long the proxies may take to connect, register and run what they are sent. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final long POLL_NANOS = 20_000_000;
    /** The demo's in-flight requests end long before this; it only bounds a stuck shutdown. */
    private static final ProxyServer.Options PROXY_OPTIONS = new ProxyServer.Options(1, Duration.ofSeconds(2));

    /**
     * One version of catalog: the app and the sidecar in front of it.
     *
     * @param label its {@code version} label: v1 or v2
     */
    public record Version(String name, String label, HttpEchoServer app, int inboundPort, Path file, ConnectedProxy sidecar) {}

    /** The sidecars did not all connect in time: starting again would not help. */
    private static final class NotConnected extends IllegalStateException {
        NotConnected(String message) {
            super(message);
        }
    }

    private final Path dir;
    private final List<AutoCloseable> started = new ArrayList<>();
    private ControlPlane controlPlane;
    private ApiClient api;
    private Version v1;
    private Version v2;
    private Version v2b;
    private volatile long requestsBeforeFailing;
    private ConnectedProxy client;
    private Path clientFile;
    private int clientPort;

    private DemoMesh(Path dir) {
        this.dir = dir;
    }

    /**
     * Starts everything and waits until every sidecar is connected, has registered its app and
     * runs what the control plane sent it; or stops what it started and throws. Returns early,
     * not yet connected, when {@code stop} says so.
     */
    public static DemoMesh start(BooleanSupplier stop) throws ConfigException {
        for (int attempt = 1; ; attempt++) {
            DemoMesh mesh = new DemoMesh(tempDir());
            try {
                mesh.startAll(stop);
                return mesh;
            } catch (ConfigException | RuntimeException e) {
                mesh.close();
                if (attempt == START_ATTEMPTS || e instanceof NotConnected) {
                    throw e;
                }
            }
        }
    }

    private void startAll(BooleanSupplier stop) throws ConfigException {
        controlPlane = closeLater(ControlPlane.start(new ControlPlane.Options(dataDir("control-plane"), "127.0.0.1", 0,
                "127.0.0.1", 0, ControlPlane.Options.DEFAULT_REGISTRATION_GRACE)));
        api = ApiClient.of(apiAddress());
        HttpEchoServer appV1 = closeLater(new HttpEchoServer(V1).start());
        HttpEchoServer appV2 = closeLater(new HttpEchoServer(V2).start());
        HttpEchoServer appV2b = closeLater(new HttpEchoServer(V2).start());
        // Registration carries the inbound port, so it must be a real port before the files are written.
        int v1Inbound = freePort();
        int v2Inbound = freePort();
        int v2bInbound = freePort();
        clientPort = freePort();
        Path v1File = write(V1 + ".yaml", MeshDocuments.catalogSidecar(V1, "v1", v1Inbound, appV1.port()));
        Path v2File = write(V2 + ".yaml", MeshDocuments.catalogSidecar(V2, "v2", v2Inbound, appV2.port()));
        Path v2bFile = write(V2_B + ".yaml", MeshDocuments.catalogSidecar(V2_B, "v2", v2bInbound, appV2b.port()));
        clientFile = write(CLIENT + ".yaml", MeshDocuments.clientSidecar(CLIENT, clientPort));
        v1 = new Version(V1, "v1", appV1, v1Inbound, v1File, startProxy(v1File, V1));
        v2 = new Version(V2, "v2", appV2, v2Inbound, v2File, startProxy(v2File, V2));
        v2b = new Version(V2_B, "v2", appV2b, v2bInbound, v2bFile, startProxy(v2bFile, V2_B));
        // Callees first: the client's sidecar then finds catalog registered from its first configuration on.
        awaitConnected(List.of(V1, V2, V2_B), 3, stop);
        if (!stop.getAsBoolean()) {
            client = startProxy(clientFile, CLIENT);
            awaitConnected(List.of(V1, V2, V2_B, CLIENT), 3, stop);
        }
    }

    private ConnectedProxy startProxy(Path file, String name) throws ConfigException {
        ConnectedProxy.Options options = new ConnectedProxy.Options(List.of(xdsAddress()), dataDir(name), PROXY_OPTIONS);
        return closeLater(ConnectedProxy.start(List.of(file), name, options));
    }

    /**
     * Waits until each of {@code names} is connected and SYNCED and {@code registrations}
     * workloads are registered, as the control plane's API tells it; returns early when
     * {@code stop} says so.
     */
    private void awaitConnected(List<String> names, int registrations, BooleanSupplier stop) {
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        String waitingFor = "no answer from the control plane's API";
        while (!stop.getAsBoolean()) {
            try {
                List<ControlPlaneView.Proxy> proxies = ControlPlaneView.proxies(api);
                for (ControlPlaneView.Proxy proxy : proxies) {
                    for (String type : ControlPlaneView.TYPES) {
                        Optional<String> nack = proxy.type(type).flatMap(ControlPlaneView.TypeStatus::nack);
                        if (nack.isPresent()) {
                            // Most likely a bind race: another process took a port since it was picked.
                            throw new IllegalStateException("proxy " + proxy.name() + " refused its " + type + ": " + nack.get());
                        }
                    }
                }
                List<String> notSynced = names.stream()
                        .filter(name -> !ControlPlaneView.proxy(proxies, name).map(p -> p.state().equals("SYNCED")).orElse(false))
                        .toList();
                long registered = ControlPlaneView.workloads(api).size();
                if (notSynced.isEmpty() && registered == registrations) {
                    return;
                }
                waitingFor = !notSynced.isEmpty() ? "not connected or not SYNCED: " + String.join(", ", notSynced)
                        : registered + " of " + registrations + " catalog instances registered";
            } catch (ApiClient.ApiException e) {
                waitingFor = e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new NotConnected("the sidecars did not connect to the control plane within "
                        + Durations.format(CONNECT_TIMEOUT) + " (" + waitingFor + ")");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        started.add(resource);
        return resource;
    }

    /** The temporary directory holding the files and data directories. */
    public Path dir() {
        return dir;
    }

    /** Where a proxy or the control plane keeps its data, under {@link #dir()}. */
    public Path dataDir(String name) {
        return dir.resolve("data").resolve(name);
    }

    public String xdsAddress() {
        return "127.0.0.1:" + controlPlane.xdsPort();
    }

    public String apiAddress() {
        return "127.0.0.1:" + controlPlane.apiPort();
    }

    /** The control plane's HTTP API, as the CLI verbs reach it. */
    public ApiClient api() {
        return api;
    }

    public Version v1() {
        return v1;
    }

    public Version v2() {
        return v2;
    }

    /** v2's second replica, the one that fails in the last phase. */
    public Version v2b() {
        return v2b;
    }

    /** From now on, v2's second replica answers 503 to half its requests, at random. */
    public void failReplica() {
        requestsBeforeFailing = v2b.app().requestCount();
        v2b.app().failing(503, 2);
    }

    /** The requests v2's second replica received since {@link #failReplica()}. */
    public long replicaRequestsSinceFailing() {
        return v2b.app().requestCount() - requestsBeforeFailing;
    }

    /** Every catalog instance: v1, and v2's two replicas. */
    public List<Version> versions() {
        return List.of(v1, v2, v2b);
    }

    public Path clientFile() {
        return clientFile;
    }

    /** Where the routing documents are written before each apply. */
    public Path routingFile() {
        return dir.resolve(ROUTING_FILE);
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
     * sidecars, the apps and the control plane, and removes the temporary directory. Idempotent.
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
