package dev.trellis.proxy;

import dev.trellis.model.ConfigException;
import dev.trellis.proxy.admin.AdminServer;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.config.ProxyConfig;
import dev.trellis.proxy.listener.Listener;
import dev.trellis.proxy.listener.ListenerContext;
import dev.trellis.proxy.listener.Transport;
import dev.trellis.proxy.telemetry.Metrics;
import dev.trellis.proxy.upstream.UpstreamPools;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: its listeners, admin endpoint and event loops. A new config is applied whole
 * or not at all: new listeners are bound first, and only when all are bound do the running ones
 * switch over. A listener that takes the address of one the config retires takes over its
 * socket. Open connections are never dropped by a reload.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    /** How often clusters are offered their outlier sweep: finer than any interval worth setting. */
    private static final long SWEEP_MILLIS = 100;

    /**
     * @param threads event loop threads, each serving its connections and their upstreams
     * @param drainTimeout how long a shutdown waits for in-flight requests to finish
     */
    public record Options(int threads, Duration drainTimeout) {
        public static Options defaults() {
            return new Options(Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(10));
        }
    }

    private final Options options;
    private final Metrics metrics;
    private final Transport transport = Transport.best();
    private final EventLoopGroup workers;
    private final UpstreamPools pools;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    /**
     * The bound port of each listener, by name, as of the last change. Admin requests read it on
     * an event loop, so it must never wait for the lock that {@link #apply} holds while it waits
     * for the event loops to bind and close sockets.
     */
    private volatile Map<String, Integer> boundPorts = Map.of();
    private volatile ProxyConfig config;
    private volatile boolean draining;
    private BooleanSupplier configured;
    private final Map<String, Supplier<?>> dumpSections = new ConcurrentSkipListMap<>();
    private AdminServer admin;

    private ProxyServer(Options options, Metrics metrics) {
        this.options = options;
        this.metrics = metrics;
        this.workers = transport.newGroup(options.threads(), "trellis-io");
        this.pools = new UpstreamPools(transport.channel());
        workers.next().scheduleWithFixedDelay(this::sweepClusters, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Lets each cluster's outlier detector run its interval sweep, when its interval is up. */
    private void sweepClusters() {
        ProxyConfig current = config;
        if (current != null) {
            long now = System.nanoTime();
            current.clusters().values().forEach(cluster -> cluster.tick(now));
        }
    }

    /** Binds every listener of {@code config} and the admin port; ready at once, as it runs its whole configuration. */
    public static ProxyServer start(ProxyConfig config, Metrics metrics, Options options) throws ConfigException {
        return start(config, metrics, options, () -> true);
    }

    /**
     * Binds every listener of {@code config} and the admin port.
     *
     * @param configured whether the proxy runs the configuration it is meant to; {@code /ready}
     *     answers 503 until it does
     */
    public static ProxyServer start(ProxyConfig config, Metrics metrics, Options options, BooleanSupplier configured)
            throws ConfigException {
        ProxyServer server = new ProxyServer(options, metrics);
        server.configured = configured;
        try {
            server.apply(config);
            server.admin = AdminServer.bind(server, server.workers, server.transport, config.bootstrap().admin().port());
        } catch (ConfigException | RuntimeException e) {
            server.workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        log.info("proxy {} started on {} with {} thread(s), admin on 127.0.0.1:{}, listeners {}", config.bootstrap().meta().ref(),
                server.transport.name(), options.threads(), server.adminPort(), server.describeListeners());
        return server;
    }

    /**
     * Switches to {@code next}, or throws and leaves the running config untouched. Each listener
     * of {@code next} gets a socket in one of three ways:
     * <ul>
     *   <li>a running listener of the same name on the same address keeps its socket and its
     *       connections, and gets the new config;</li>
     *   <li>else, when a running listener that {@code next} retires (removed, or moved to another
     *       address) holds the same host and a port that is not 0, that listener is handed over:
     *       it stays bound, under the new name and with the new config, since binding the address
     *       again beside it would fail (SO_REUSEADDR does not let two sockets listen on one
     *       port);</li>
     *   <li>else a new socket is bound.</li>
     * </ul>
     * Every bind happens before anything running changes; if one fails, the sockets just bound
     * are closed and nothing else has changed. Then the configs switch, and running listeners that
     * were neither kept nor handed over stop accepting and drain.
     */
    public synchronized void apply(ProxyConfig next) throws ConfigException {
        if (admin != null && next.bootstrap().admin().port() != config.bootstrap().admin().port()
                && next.bootstrap().admin().port() != 0) {
            throw new ConfigException(next.bootstrap().meta() + ": spec.admin.port: " + next.bootstrap().admin().port()
                    + " (expected: " + config.bootstrap().admin().port() + "; the admin port changes only on restart)");
        }
        // Plan first, changing nothing: which running listeners stay, which are handed over, which must be bound.
        Map<String, String> retiring = new LinkedHashMap<>(); // running name -> why, for those neither kept nor handed over
        listeners.keySet().forEach(name -> retiring.put(name, "removed"));
        for (ListenerConfig listener : next.listeners()) {
            Listener running = listeners.get(listener.name());
            if (running != null) {
                if (sameAddress(running, listener)) {
                    retiring.remove(listener.name());
                } else {
                    retiring.put(listener.name(), "moved to " + listener.host() + ":" + listener.port());
                }
            }
        }
        Map<String, String> handedOver = new LinkedHashMap<>(); // new name -> running name whose socket it takes
        List<ListenerConfig> toBind = new ArrayList<>();
        for (ListenerConfig listener : next.listeners()) {
            Listener running = listeners.get(listener.name());
            if (running != null && sameAddress(running, listener)) {
                continue;
            }
            String donor = listener.port() == 0 ? null : retiring.keySet().stream()
                    .filter(name -> listeners.get(name).context().config().host().equals(listener.host())
                            && listeners.get(name).port() == listener.port())
                    .findFirst()
                    .orElse(null);
            if (donor != null) {
                retiring.remove(donor);
                handedOver.put(listener.name(), donor);
            } else {
                toBind.add(listener);
            }
        }
        Map<String, Listener> bound = new LinkedHashMap<>();
        try {
            for (ListenerConfig listener : toBind) {
                bound.put(listener.name(), bind(listener));
            }
        } catch (ConfigException e) {
            bound.values().forEach(Listener::stopAccepting);
            throw e;
        }

        // Every socket is there: switch.
        Map<String, Listener> switched = new LinkedHashMap<>();
        for (ListenerConfig listener : next.listeners()) {
            Listener socket = bound.get(listener.name());
            if (socket == null) {
                socket = listeners.get(handedOver.getOrDefault(listener.name(), listener.name()));
                socket.context().update(listener);
            }
            switched.put(listener.name(), socket);
        }
        for (String name : retiring.keySet()) {
            Listener old = listeners.get(name);
            old.stopAccepting();
            old.drain();
        }
        listeners.clear();
        listeners.putAll(switched);
        Map<String, Integer> ports = new LinkedHashMap<>();
        listeners.forEach((name, listener) -> ports.put(name, listener.port()));
        boundPorts = Collections.unmodifiableMap(ports);
        config = next;
        if (!bound.isEmpty() || !handedOver.isEmpty() || !retiring.isEmpty()) {
            log.info("listeners bound {}, handed over {}, retired {}", bound.keySet(),
                    handedOver.entrySet().stream().map(e -> e.getValue() + " -> " + e.getKey()).toList(), retiring);
        }
    }

    /**
     * Whether {@code listener} asks for the address {@code running} has: the same host, and the port
     * it was configured with (0 again included) or the port it got.
     */
    private static boolean sameAddress(Listener running, ListenerConfig listener) {
        ListenerConfig was = running.context().config();
        return was.host().equals(listener.host()) && (listener.port() == was.port() || listener.port() == running.port());
    }

    private Listener bind(ListenerConfig listener) throws ConfigException {
        try {
            return Listener.bind(new ListenerContext(listener, pools, () -> draining, name -> config.clusters().get(name)), workers, transport,
                    options.drainTimeout().toMillis());
        } catch (Exception e) {
            throw new ConfigException("listener " + listener.name() + ": cannot bind " + listener.host() + ":" + listener.port()
                    + ": " + e.getMessage());
        }
    }

    public ProxyConfig config() {
        return config;
    }

    public Metrics metrics() {
        return metrics;
    }

    /**
     * Adds a section to {@code /config_dump}, under {@code name}, with what {@code section} returns
     * when the dump is asked for (a map or list of plain values); a proxy driven by a control
     * plane shows its ADS connection there.
     */
    public void addDumpSection(String name, Supplier<?> section) {
        dumpSections.put(name, section);
    }

    /** The extra sections of {@code /config_dump}, by name. */
    public Map<String, Supplier<?>> dumpSections() {
        return Collections.unmodifiableMap(dumpSections);
    }

    public boolean draining() {
        return draining;
    }

    /** Whether the proxy runs the configuration it is meant to (a connected proxy: its first from the control plane). */
    public boolean configured() {
        return configured.getAsBoolean();
    }

    /** The port a listener is bound to, by listener name. Never waits for a change in progress. */
    public int port(String listenerName) {
        Map<String, Integer> ports = boundPorts;
        Integer port = ports.get(listenerName);
        if (port == null) {
            throw new IllegalArgumentException("no listener " + listenerName + " (have " + ports.keySet() + ")");
        }
        return port;
    }

    /** Bound ports by listener name, as of the last change; never waits for a change in progress. */
    public Map<String, Integer> ports() {
        return boundPorts;
    }

    public int adminPort() {
        return admin.port();
    }

    private String describeListeners() {
        return ports().toString();
    }

    /**
     * Stops accepting, lets in-flight requests finish within the drain timeout, then closes
     * everything. Returns true when every connection finished in time.
     */
    public synchronized boolean shutdown() {
        draining = true;
        listeners.values().forEach(Listener::stopAccepting);
        listeners.values().forEach(Listener::drain);
        long deadline = System.nanoTime() + options.drainTimeout().toNanos();
        boolean drained;
        while (!(drained = listeners.values().stream().allMatch(l -> l.connectionCount() == 0))
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!drained) {
            log.warn("drain timeout after {}: closing {} connection(s)", options.drainTimeout(),
                    listeners.values().stream().mapToInt(Listener::connectionCount).sum());
        }
        listeners.values().forEach(Listener::closeConnections);
        if (admin != null) {
            admin.close();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        return drained;
    }

    @Override
    public void close() {
        if (!workers.isShuttingDown()) {
            shutdown();
        }
    }
}
