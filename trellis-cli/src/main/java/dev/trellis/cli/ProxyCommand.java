package dev.trellis.cli;

import dev.trellis.model.ConfigException;
import dev.trellis.proxy.ProxyServer;
import dev.trellis.proxy.StandaloneProxy;
import io.netty.util.ResourceLeakDetector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code trellis proxy}: runs one proxy from config files, with no control plane. */
@Command(
        name = "proxy",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a proxy configured from YAML files (Proxy, ServiceEntry, VirtualService, DestinationRule).",
            "Changed files (or SIGHUP) reload the config without dropping connections;"
                    + " SIGTERM drains in-flight requests and exits 0."
        })
final class ProxyCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "PATH",
            description = "A YAML file, or a directory of them. Repeatable.")
    List<Path> config;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The Proxy document to run, when the files hold several.")
    String name;

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
        StandaloneProxy proxy;
        try {
            proxy = StandaloneProxy.start(config, name, new ProxyServer.Options(n, Duration.ofSeconds(drainSeconds)));
        } catch (ConfigException e) {
            System.err.println("trellis proxy: configuration rejected: " + e.getMessage());
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("HUP"), s -> proxy.reload());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        stop.await();
        boolean drained = proxy.shutdown();
        System.err.println("trellis proxy: stopped" + (drained ? "" : " (drain timeout: some connections were closed)"));
        return 0;
    }
}
