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
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: its listeners, admin endpoint and event loops. A new config is applied whole
 * or not at all: new listeners are bound first, and only when all are bound do the running ones
 * switch over. Open connections are never dropped by a reload.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

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
    private volatile ProxyConfig config;
    private volatile boolean draining;
    private final Map<String, Supplier<?>> dumpSections = new ConcurrentSkipListMap<>();
    private AdminServer admin;

    private ProxyServer(Options options, Metrics metrics) {
        this.options = options;
        this.metrics = metrics;
        this.workers = transport.newGroup(options.threads(), "trellis-io");
        this.pools = new UpstreamPools(transport.channel());
    }

    /** Binds every listener of {@code config} and the admin port. */
    public static ProxyServer start(ProxyConfig config, Metrics metrics, Options options) throws ConfigException {
        ProxyServer server = new ProxyServer(options, metrics);
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

    /** Switches to {@code next}, or throws and leaves the running config untouched. */
    public synchronized void apply(ProxyConfig next) throws ConfigException {
        if (admin != null && next.bootstrap().admin().port() != config.bootstrap().admin().port()
                && next.bootstrap().admin().port() != 0) {
            throw new ConfigException(next.bootstrap().meta() + ": spec.admin.port: " + next.bootstrap().admin().port()
                    + " (expected: " + config.bootstrap().admin().port() + "; the admin port changes only on restart)");
        }
        Map<String, Listener> added = new LinkedHashMap<>();
        try {
            for (ListenerConfig listener : next.listeners()) {
                if (!listeners.containsKey(listener.name())) {
                    added.put(listener.name(), bind(listener));
                }
            }
        } catch (ConfigException e) {
            added.values().forEach(Listener::stopAccepting);
            throw e;
        }
        for (ListenerConfig listener : next.listeners()) {
            Listener running = listeners.get(listener.name());
            if (running != null) {
                running.context().update(listener);
            }
        }
        List<String> removed = new ArrayList<>();
        listeners.entrySet().removeIf(entry -> {
            if (next.listener(entry.getKey()).isPresent()) {
                return false;
            }
            entry.getValue().stopAccepting();
            entry.getValue().drain();
            removed.add(entry.getKey());
            return true;
        });
        listeners.putAll(added);
        config = next;
        if (!added.isEmpty() || !removed.isEmpty()) {
            log.info("listeners added {} removed {}", added.keySet(), removed);
        }
    }

    private Listener bind(ListenerConfig listener) throws ConfigException {
        try {
            return Listener.bind(new ListenerContext(listener, pools, () -> draining), workers, transport,
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

    /** The port a listener is bound to, by listener name. */
    public synchronized int port(String listenerName) {
        Listener listener = listeners.get(listenerName);
        if (listener == null) {
            throw new IllegalArgumentException("no listener " + listenerName + " (have " + listeners.keySet() + ")");
        }
        return listener.port();
    }

    /** Bound ports by listener name. */
    public synchronized Map<String, Integer> ports() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        listeners.forEach((name, listener) -> ports.put(name, listener.port()));
        return ports;
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
