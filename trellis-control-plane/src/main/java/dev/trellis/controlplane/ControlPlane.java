package dev.trellis.controlplane;

import dev.trellis.config.ConfigLoader;
import dev.trellis.config.Document;
import dev.trellis.controlplane.api.ApiServer;
import dev.trellis.controlplane.api.ControlPlaneApi;
import dev.trellis.controlplane.config.ConfigStore;
import dev.trellis.controlplane.mesh.MeshView;
import dev.trellis.controlplane.registry.Registration;
import dev.trellis.controlplane.registry.Registry;
import dev.trellis.controlplane.store.AutoCompaction;
import dev.trellis.controlplane.store.SqliteStore;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.Watch;
import dev.trellis.controlplane.xds.ProxyStatus;
import dev.trellis.controlplane.xds.XdsService;
import dev.trellis.model.ConfigException;
import dev.trellis.model.Hosts;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running control plane: the store under its data directory, the applied configuration, the
 * service registry, the xDS server that pushes both to every proxy, and the HTTP API. A change to
 * the configuration or the registry, from this process or from the store, reaches every connected
 * node's snapshot.
 */
public final class ControlPlane implements ControlPlaneApi, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    /**
     * @param dataDir where the embedded store keeps its database
     * @param registrationGrace how long a workload stays registered after its proxy's stream ends
     */
    public record Options(Path dataDir, String xdsHost, int xdsPort, String apiHost, int apiPort, Duration registrationGrace) {
        public static final int DEFAULT_XDS_PORT = 15010;
        public static final int DEFAULT_API_PORT = 15014;
        public static final Duration DEFAULT_REGISTRATION_GRACE = Duration.ofSeconds(10);
    }

    /** The store's history kept, in revisions, and how often older history is compacted away. */
    static final long RETAINED_REVISIONS = 1000;
    static final Duration COMPACTION_INTERVAL = Duration.ofMinutes(5);

    private final Store store;
    private final ConfigStore configs;
    private final Registry registry;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trellis-upkeep");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Registry.Handle> registered = new ConcurrentHashMap<>();
    private final List<AutoCloseable> running = new ArrayList<>();
    private volatile ConfigStore.Snapshot config;
    private volatile List<Registration> registrations;
    private XdsService xds;
    private ApiServer api;

    private ControlPlane(Store store, Options options) {
        this.store = store;
        this.configs = new ConfigStore(store);
        this.registry = new Registry(store, options.registrationGrace(), scheduler);
    }

    /**
     * Opens the store and starts serving.
     *
     * @throws ConfigException when the stored configuration does not read
     * @throws IllegalStateException when the store cannot be opened or a port cannot be bound
     */
    public static ControlPlane start(Options options) throws ConfigException {
        Store store = SqliteStore.open(options.dataDir());
        ControlPlane controlPlane = new ControlPlane(store, options);
        try {
            controlPlane.serve(options);
            return controlPlane;
        } catch (ConfigException | RuntimeException e) {
            controlPlane.close();
            throw e;
        }
    }

    private void serve(Options options) throws ConfigException {
        running.add(new AutoCompaction(store, RETAINED_REVISIONS, COMPACTION_INTERVAL, scheduler));
        config = configs.load();
        configs.clearUnreferenced();
        registrations = registry.list();
        xds = XdsService.start(options.xdsHost(), options.xdsPort(), mesh(), new XdsService.Events() {
            @Override
            public void proxyConnected(String nodeId, ProxyBootstrap bootstrap, String address) {
                register(nodeId, bootstrap, address);
            }

            @Override
            public void proxyDisconnected(String nodeId) {
                Registry.Handle handle = registered.remove(nodeId);
                if (handle != null) {
                    handle.release();
                }
            }
        });
        running.add(xds);
        running.add(configs.watch(config.revision(), this::accept));
        running.add(registry.watch(next -> {
            registrations = next;
            publish();
        }));
        api = ApiServer.bind(options.apiHost(), options.apiPort(), this);
        running.add(api);
        log.info("control plane serving xDS on {}:{} and the HTTP API on {}:{}, data in {} ({} documents, {} registrations)",
                options.xdsHost(), xds.port(), options.apiHost(), api.port(), options.dataDir(),
                config.documents().size(), registrations.size());
    }

    /**
     * A proxy with an inbound listener registers its workload at the address it connects from; a
     * proxy that reconnects with a changed bootstrap or address is registered anew (or not at all,
     * when its inbound listener is gone).
     */
    private void register(String nodeId, ProxyBootstrap bootstrap, String address) {
        Registry.Handle next = bootstrap.inbound().map(inbound -> {
            String namespace = bootstrap.meta().namespace();
            return registry.register(new Registration(nodeId, bootstrap.meta().name(), namespace,
                    Hosts.qualify(bootstrap.workload().service(), namespace), address, inbound.port(), inbound.protocol(),
                    bootstrap.workload().labels(), bootstrap.workload().serviceAccount(),
                    bootstrap.workload().locality().toString(), Instant.now()));
        }).orElse(null);
        Registry.Handle previous = next == null ? registered.remove(nodeId) : registered.put(nodeId, next);
        if (previous != null) {
            previous.release();
        }
    }

    /** A newer configuration: from this process's own apply, or from the store's watch, whichever comes first. */
    private synchronized void accept(ConfigStore.Snapshot next) {
        if (next.revision() > config.revision()) {
            config = next;
            publish();
        }
    }

    private synchronized void publish() {
        if (xds != null) {
            xds.meshChanged(mesh());
        }
    }

    private MeshConfig mesh() {
        return MeshView.of(config.mesh(), registrations);
    }

    public int xdsPort() {
        return xds.port();
    }

    public int apiPort() {
        return api.port();
    }

    @Override
    public ConfigStore.Outcome apply(List<Source> sources, boolean dryRun) throws ConfigException {
        List<Document> documents = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Source source : sources) {
            try {
                documents.addAll(ConfigLoader.documents(source.name(), source.text()));
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        if (documents.isEmpty()) {
            throw new ConfigException(sources.stream().map(Source::name).toList() + ": no documents (expected: YAML or JSON resources)");
        }
        ConfigStore.Outcome outcome = configs.apply(documents, dryRun);
        if (!dryRun) {
            log.info("applied {}", outcome.changes());
            accept(outcome.result());
        }
        return outcome;
    }

    @Override
    public ConfigStore.Snapshot config() {
        return config;
    }

    @Override
    public Optional<ConfigStore.Outcome> delete(String kind, String namespace, String name, boolean dryRun) throws ConfigException {
        Optional<ConfigStore.Outcome> outcome = configs.delete(kind, namespace, name, dryRun);
        if (!dryRun) {
            outcome.ifPresent(o -> accept(o.result()));
        }
        return outcome;
    }

    @Override
    public List<ProxyStatus> proxies() {
        return xds.statuses();
    }

    @Override
    public List<Registration> registrations() {
        return registrations;
    }

    /**
     * Stops serving. Registrations are left to their leases: a control plane that comes back within
     * the grace period finds them, and their proxies renew them.
     */
    @Override
    public void close() {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                log.warn("closing {}: {}", running.get(i), e.getMessage());
            }
        }
        scheduler.shutdownNow();
        store.close();
    }
}
