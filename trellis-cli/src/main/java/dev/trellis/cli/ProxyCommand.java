package dev.trellis.cli;

import dev.trellis.model.ConfigException;
import dev.trellis.proxy.ConnectedProxy;
import dev.trellis.proxy.ProxyServer;
import dev.trellis.proxy.StandaloneProxy;
import io.netty.util.ResourceLeakDetector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code trellis proxy}: runs one proxy, configured from files alone or, with
 * {@code --control-plane}, bootstrapped from its Proxy document and configured over ADS.
 */
@Command(
        name = "proxy",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a proxy configured from YAML files (Proxy, ServiceEntry, VirtualService, DestinationRule, LocalRateLimit),"
                    + " or, with --control-plane, by a control plane over xDS (ADS).",
            "Standalone, changed files (or SIGHUP) reload the config without dropping connections. With a control"
                    + " plane, only the Proxy document is read; SIGHUP re-reads it and reconnects when it changed.",
            "SIGTERM drains in-flight requests and exits 0."
        })
final class ProxyCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "PATH",
            description = "A YAML file, or a directory of them. Repeatable.")
    List<Path> config;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The Proxy document to run, when the files hold several.")
    String name;

    @Option(names = "--control-plane", paramLabel = "HOST:PORT",
            description = "A control plane's xDS (ADS, gRPC, plaintext) address. Repeatable: tried in order,"
                    + " moving to the next on failure. Everything but the Proxy document then comes from it.")
    List<String> controlPlanes;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "With --control-plane: where the configuration last accepted is saved, to start from"
                    + " when no control plane answers (default: ~/.trellis/proxy/<name>.<namespace>).")
    Path dataDir;

    @Option(names = "--threads", paramLabel = "N", description = "Event loop threads (default: the number of CPUs).")
    Integer threads;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long SIGTERM waits for in-flight requests (default: ${DEFAULT-VALUE}).")
    int drainSeconds;

    @Override
    public Integer call() throws InterruptedException {
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1) {
            System.err.println("trellis proxy: --threads: " + n + " (expected: 1 or more)");
            return 2;
        }
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Leak tracking costs every message a little; the tests run it at paranoid level,
            // and an operator can turn it on with -Dio.netty.leakDetection.level=simple.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        ProxyServer.Options options = new ProxyServer.Options(n, Duration.ofSeconds(drainSeconds));
        if (controlPlanes != null && !controlPlanes.isEmpty()) {
            return connected(options);
        }
        if (dataDir != null) {
            System.err.println("trellis proxy: --data-dir: only used with --control-plane");
            return 2;
        }
        StandaloneProxy proxy;
        try {
            proxy = StandaloneProxy.start(config, name, options);
        } catch (ConfigException e) {
            System.err.println("trellis proxy: configuration rejected: " + e.getMessage());
            return 1;
        }
        return runUntilStopped(proxy::reload, proxy::shutdown);
    }

    /** Kept apart so that gRPC's classes load only when a control plane is named. */
    private int connected(ProxyServer.Options options) throws InterruptedException {
        ConnectedProxy proxy;
        try {
            proxy = ConnectedProxy.start(config, name, new ConnectedProxy.Options(controlPlanes, dataDir, options));
        } catch (ConfigException e) {
            System.err.println("trellis proxy: configuration rejected: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            System.err.println("trellis proxy: " + e.getMessage());
            return 2;
        }
        return runUntilStopped(proxy::reload, proxy::shutdown);
    }

    /** SIGHUP reloads; SIGTERM or SIGINT drains, stops and exits 0. */
    private static int runUntilStopped(BooleanSupplier reload, BooleanSupplier shutdown) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("HUP"), s -> reload.getAsBoolean());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        stop.await();
        boolean drained = shutdown.getAsBoolean();
        System.err.println("trellis proxy: stopped" + (drained ? "" : " (drain timeout: some connections were closed)"));
        return 0;
    }
}
