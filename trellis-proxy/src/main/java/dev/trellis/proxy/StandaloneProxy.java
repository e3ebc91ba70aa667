package dev.trellis.proxy;

import dev.trellis.config.ConfigLoader;
import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.proxy.config.ProxyConfig;
import dev.trellis.proxy.xds.XdsAdapter;
import dev.trellis.xds.snapshot.ProxySnapshotBuilder;
import dev.trellis.proxy.telemetry.Metrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A proxy configured from files, with no control plane. It takes the same path as a proxy fed by
 * a control plane: the documents are read into the mesh model, the model is built into this
 * proxy's xDS resources, and the xDS adapter turns those into what runs. Every change to the
 * files (or a reload on request) takes that path again. A change that does not read, build,
 * adapt or bind is refused with its errors logged, and the running config stays.
 */
public final class StandaloneProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StandaloneProxy.class);

    /** How often the config files are checked for changes, in milliseconds. */
    static final long WATCH_INTERVAL_MILLIS = 500;

    private final List<Path> paths;
    private final String proxyName;
    private final XdsAdapter adapter;
    private final ProxyServer server;
    private final ScheduledExecutorService watcher;
    private Map<Path, FileTime> lastSeen;

    private StandaloneProxy(List<Path> paths, String proxyName, ProxyServer.Options options) throws ConfigException {
        this.paths = List.copyOf(paths);
        this.proxyName = proxyName;
        Metrics metrics = new Metrics();
        this.adapter = new XdsAdapter(metrics);
        this.lastSeen = snapshot();
        this.server = ProxyServer.start(configure(null), metrics, options);
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trellis-config-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::reloadIfChanged, WATCH_INTERVAL_MILLIS, WATCH_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * @param paths YAML files or directories of them
     * @param proxyName the Proxy document to run, or null when the files hold exactly one
     */
    public static StandaloneProxy start(List<Path> paths, String proxyName, ProxyServer.Options options) throws ConfigException {
        return new StandaloneProxy(paths, proxyName, options);
    }

    public ProxyServer server() {
        return server;
    }

    /** Reads and applies the files now. Returns false, having logged why, when the change is refused. */
    public synchronized boolean reload() {
        lastSeen = snapshot();
        try {
            server.apply(configure(server.config()));
            log.info("configuration reloaded from {}", paths);
            return true;
        } catch (ConfigException e) {
            log.error("configuration change refused, the running configuration stays: {}", e.getMessage());
            return false;
        }
    }

    /** Documents to model to xDS resources to runtime config: the one path every proxy takes. */
    private ProxyConfig configure(ProxyConfig previous) throws ConfigException {
        MeshConfig mesh = ConfigLoader.load(paths);
        ProxyBootstrap bootstrap = Bootstraps.select(mesh, proxyName);
        ProxySnapshotBuilder.Result snapshot = ProxySnapshotBuilder.build(mesh, bootstrap);
        if (!snapshot.problems().isEmpty()) {
            throw new ConfigException(snapshot.problems());
        }
        return adapter.adapt(bootstrap, snapshot.resources(), previous);
    }

    private void reloadIfChanged() {
        try {
            if (!Objects.equals(snapshot(), lastSeen)) {
                reload();
            }
        } catch (RuntimeException e) {
            log.error("config watch failed", e);
        }
    }

    /** Modification times of every config file, so a change to any of them is noticed. */
    private Map<Path, FileTime> snapshot() {
        Map<Path, FileTime> times = new TreeMap<>();
        for (Path path : paths) {
            try (Stream<Path> files = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
                files.filter(Files::isRegularFile).forEach(file -> {
                    try {
                        times.put(file, Files.getLastModifiedTime(file));
                    } catch (IOException e) {
                        times.put(file, FileTime.fromMillis(-1));
                    }
                });
            } catch (IOException | UncheckedIOException e) {
                times.put(path, FileTime.fromMillis(-1));
            }
        }
        return times;
    }

    /** Drains and stops; true when every connection finished within the drain timeout. */
    public boolean shutdown() {
        watcher.shutdownNow();
        return server.shutdown();
    }

    @Override
    public void close() {
        shutdown();
    }
}
