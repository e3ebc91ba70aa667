package dev.trellis.proxy;

import com.google.protobuf.Message;
import dev.trellis.config.ConfigLoader;
import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Meta;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.proxy.telemetry.Metrics;
import dev.trellis.proxy.xds.AdsClient;
import dev.trellis.proxy.xds.AdsStatus;
import dev.trellis.proxy.xds.Backoff;
import dev.trellis.proxy.xds.ControlPlaneAddresses;
import dev.trellis.proxy.xds.SavedConfig;
import dev.trellis.proxy.xds.Warming;
import dev.trellis.proxy.xds.XdsAdapter;
import dev.trellis.proxy.xds.XdsState;
import dev.trellis.xds.ProxyNodes;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A proxy driven by a control plane over ADS: the counterpart of {@link StandaloneProxy}. Its
 * {@code Proxy} document alone bootstraps it; it sends that bootstrap in its xDS node, and every
 * listener, route, cluster and endpoint comes from the control plane, through the same adapter a
 * standalone proxy uses.
 *
 * <p>Each response is checked whole (every resource it carries, every field), then what is ready
 * runs, as {@link Warming} decides; a response that does not check or cannot be applied (a port
 * that cannot be bound) is refused with its reasons and changes nothing. What was accepted is
 * saved after each change, and a proxy starts from what was saved, so it serves at once even
 * when no control plane answers, and keeps trying to reach one.
 *
 * <p>The ADS client, the accepted state and every configuration change run on one executor, one
 * task at a time.
 */
public final class ConnectedProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConnectedProxy.class);

    /**
     * @param controlPlanes the control planes' xDS addresses, {@code HOST:PORT}, tried in order
     * @param dataDirectory where accepted resources are saved, or null for
     *     {@code ~/.trellis/proxy/<name>.<namespace>}
     * @param backoff the waits between attempts to reach a control plane
     */
    public record Options(List<String> controlPlanes, Path dataDirectory, ProxyServer.Options server, Backoff backoff) {
        public Options {
            controlPlanes = List.copyOf(controlPlanes);
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(backoff, "backoff");
        }

        public Options(List<String> controlPlanes, Path dataDirectory, ProxyServer.Options server) {
            this(controlPlanes, dataDirectory, server, Backoff.defaults());
        }
    }

    private final List<Path> paths;
    private final String proxyName;
    private final String instanceId;
    private final ScheduledExecutorService executor;
    private final Metrics metrics = new Metrics();
    private final XdsAdapter adapter = new XdsAdapter(metrics);
    private final ProxyServer server;
    private final SavedConfig saved;
    /** Whether it runs a whole configuration yet: a saved one, or its first from the control plane. */
    private volatile boolean configured;
    private final AdsStatus status;
    private final AdsClient client;
    private volatile ProxyBootstrap bootstrap;
    private volatile Node node;
    private volatile XdsState accepted = XdsState.EMPTY;
    private volatile Map<String, List<String>> warming = Map.of();
    private Boolean drained;

    private ConnectedProxy(List<Path> paths, String proxyName, Options options) throws ConfigException {
        ControlPlaneAddresses addresses = ControlPlaneAddresses.parse(options.controlPlanes());
        this.paths = List.copyOf(paths);
        this.proxyName = proxyName;
        this.bootstrap = readBootstrap();
        this.instanceId = newInstanceId();
        this.node = ProxyNodes.node(bootstrap, instanceId);
        this.saved = new SavedConfig(options.dataDirectory() != null
                ? options.dataDirectory()
                : SavedConfig.defaultDirectory(bootstrap.meta().name(), bootstrap.meta().namespace()));
        this.server = ProxyServer.start(adapter.adapt(bootstrap, XdsResources.EMPTY, null), metrics, options.server(),
                () -> configured);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trellis-ads");
            t.setDaemon(true);
            return t;
        });
        this.status = new AdsStatus(Clock.systemUTC(), addresses.all().stream().map(Object::toString).toList(),
                () -> accepted, () -> warming, saved.file().toString());
        try {
            server.addDumpSection("ads", status::toMap);
            startFromSaved();
            this.client = new AdsClient(addresses, node, new Handler(), options.backoff(), executor, status);
        } catch (RuntimeException e) {
            executor.shutdownNow();
            server.close();
            throw e;
        }
        log.info("proxy {} is node {}; control plane(s) {}; accepted configuration saved in {}",
                bootstrap.meta().ref(), node.getId(), addresses, saved.file());
        client.start();
    }

    /** Twelve random hex digits, so that proxies started from one file get different node ids. */
    private static String newInstanceId() {
        byte[] bytes = new byte[6];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Reads the {@code Proxy} document from {@code paths}, starts the admin port and whatever was
     * saved, and connects to the first control plane.
     *
     * @param paths YAML files or directories of them; documents other than the Proxy are ignored
     * @param proxyName the Proxy document to run, or null when the files hold exactly one
     * @throws ConfigException when the files do not read or hold no such Proxy
     * @throws IllegalArgumentException when a control plane address does not parse
     */
    public static ConnectedProxy start(List<Path> paths, String proxyName, Options options) throws ConfigException {
        return new ConnectedProxy(paths, proxyName, options);
    }

    public ProxyServer server() {
        return server;
    }

    /** {@code <name>.<namespace>~<instance>}: a new instance for every process, so proxies started from one file stay apart. */
    public String nodeId() {
        return node.getId();
    }

    public AdsStatus status() {
        return status;
    }

    /** What has been accepted from the control plane, warming resources included. */
    public XdsState accepted() {
        return accepted;
    }

    /** Where accepted resources are saved. */
    public Path savedConfig() {
        return saved.file();
    }

    private ProxyBootstrap readBootstrap() throws ConfigException {
        MeshConfig mesh = ConfigLoader.load(paths);
        ProxyBootstrap selected = Bootstraps.select(mesh, proxyName);
        List<String> ignored = mesh.metas().filter(meta -> !meta.kind().equals("Proxy")).map(Meta::ref).toList();
        if (!ignored.isEmpty()) {
            log.warn("ignoring {} document(s) that are not a Proxy ({}): with a control plane, everything but the"
                    + " Proxy comes from it", ignored.size(), String.join(", ", ignored));
        }
        return selected;
    }

    /** Runs what was saved last, if anything; a file that cannot be used is reported, never fatal. */
    private void startFromSaved() {
        Optional<XdsState> state;
        try {
            state = saved.load();
        } catch (SavedConfig.CorruptException e) {
            log.error("the saved configuration is corrupt, starting without it until the control plane sends one: {}",
                    e.getMessage());
            return;
        } catch (IOException e) {
            log.error("cannot read the saved configuration, starting without it until the control plane sends one: {}",
                    e.toString());
            return;
        }
        if (state.isEmpty()) {
            log.info("no saved configuration in {}: starting with no listeners until the control plane sends some",
                    saved.file());
            return;
        }
        try {
            XdsResources candidate = Warming.candidate(state.get(), XdsResources.EMPTY);
            server.apply(adapter.adapt(bootstrap, candidate, server.config()));
            accepted = state.get();
            warming = warming(state.get().resources(), candidate);
            configured = true;
            log.info("started from the configuration saved in {} (versions {}): listeners {}", saved.file(),
                    state.get().versions(), server.ports());
        } catch (ConfigException e) {
            log.error("the saved configuration in {} cannot run, starting without it: {}", saved.file(), e.getMessage());
        }
    }

    /**
     * Re-reads the Proxy document, as on SIGHUP. When it changed, the new bootstrap applies to
     * what runs and the stream to the control plane starts again with the new node, so that the
     * control plane sends what the new bootstrap needs. Returns false, having logged why, when
     * the document does not read or cannot apply (a changed admin port takes a restart).
     */
    public boolean reload() {
        try {
            return executor.submit(this::reloadNow).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.error("reload failed", e);
            return false;
        } catch (RejectedExecutionException e) {
            log.warn("reload ignored: the proxy is stopping");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean reloadNow() {
        ProxyBootstrap next;
        try {
            next = readBootstrap();
        } catch (ConfigException e) {
            log.error("reload refused, the running bootstrap stays: {}", e.getMessage());
            return false;
        }
        Node nextNode = ProxyNodes.node(next, instanceId);
        if (nextNode.equals(node)) {
            log.info("reload: the Proxy document is unchanged");
            return true;
        }
        try {
            server.apply(adapter.adapt(next, server.config().resources(), server.config()));
        } catch (ConfigException e) {
            log.error("reload refused, the running bootstrap stays: {}", e.getMessage());
            return false;
        }
        bootstrap = next;
        node = nextNode;
        log.info("reload: the Proxy document changed; opening a new stream as node {} with the new bootstrap", node.getId());
        client.reconnect(nextNode);
        return true;
    }

    /** Drains and stops; true when every connection finished within the drain timeout. Only the first call does it. */
    public synchronized boolean shutdown() {
        if (drained == null) {
            client.close();
            executor.shutdownNow();
            drained = server.shutdown();
        }
        return drained;
    }

    @Override
    public void close() {
        shutdown();
    }

    /** Accepted resources that do not run as accepted yet: new ones warming, or running in their older version. */
    private static Map<String, List<String>> warming(XdsResources accepted, XdsResources running) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        out.put("clusters", differing(accepted.clusters(), running.clusters()));
        out.put("listeners", differing(accepted.listeners(), running.listeners()));
        out.put("routes", differing(accepted.routes(), running.routes()));
        return out;
    }

    private static List<String> differing(SortedMap<String, ? extends Message> accepted, SortedMap<String, ? extends Message> running) {
        List<String> names = new ArrayList<>();
        accepted.forEach((name, resource) -> {
            if (!resource.equals(running.get(name))) {
                names.add(name);
            }
        });
        return names;
    }

    /** Checks, applies and saves each response the ADS client receives; runs on the executor. */
    private final class Handler implements AdsClient.Handler {
        @Override
        public XdsState accepted() {
            return accepted;
        }

        @Override
        public void update(XdsType type, String version, Map<String, Message> resources) throws ConfigException {
            XdsState next = accepted.accept(type, version, resources);
            if (next.equals(accepted)) {
                return; // the same resources at the same version, as after a reconnect: nothing to do
            }
            // Every resource the response carries, checked on its own fields, with stand-ins for what has not arrived.
            new XdsAdapter(new Metrics()).adapt(bootstrap, Warming.validationView(next, type), null);
            XdsResources running = server.config().resources();
            XdsResources candidate = Warming.candidate(next, running);
            if (!candidate.equals(running)) {
                server.apply(adapter.adapt(bootstrap, candidate, server.config()));
            }
            accepted = next;
            Map<String, List<String>> nowWarming = warming(next.resources(), candidate);
            if (!nowWarming.equals(warming) && nowWarming.values().stream().anyMatch(names -> !names.isEmpty())) {
                log.info("warming, running as before until what they need arrives: {}", nowWarming);
            }
            warming = nowWarming;
            // Ready, as Envoy after its initial fetch: clusters and listeners accepted, none of them warming.
            configured |= next.version(XdsType.CLUSTER).isPresent() && next.version(XdsType.LISTENER).isPresent()
                    && nowWarming.values().stream().allMatch(List::isEmpty);
            try {
                saved.save(next);
            } catch (IOException e) {
                log.error("cannot save the accepted configuration to {}: {}", saved.file(), e.toString());
            }
        }
    }
}
