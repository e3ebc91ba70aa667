package dev.trellis.cli;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.model.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code trellis control-plane}: the store, the registry, the xDS server and the HTTP API, in one process. */
@Command(
        name = "control-plane",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the control plane: keeps the applied configuration and the registered workloads in an embedded store"
                    + " under --data-dir, serves them to every proxy over xDS (ADS), and answers the HTTP API that"
                    + " 'trellis apply', 'get', 'delete' and 'proxy-status' use.",
            "SIGTERM or Ctrl-C stops it; proxies keep serving what they have and reconnect when it is back."
        })
final class ControlPlaneCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the store lives (default: ~/.trellis/control-plane).")
    Path dataDir;

    @Option(names = "--xds-port", paramLabel = "PORT", defaultValue = "" + ControlPlane.Options.DEFAULT_XDS_PORT,
            description = "The xDS (ADS, gRPC) port proxies connect to (default: ${DEFAULT-VALUE}).")
    int xdsPort;

    @Option(names = "--xds-address", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "The address the xDS port binds (default: ${DEFAULT-VALUE}; 0.0.0.0 for proxies on other hosts).")
    String xdsAddress;

    @Option(names = "--api-port", paramLabel = "PORT", defaultValue = "" + ControlPlane.Options.DEFAULT_API_PORT,
            description = "The HTTP API port (default: ${DEFAULT-VALUE}).")
    int apiPort;

    @Option(names = "--api-address", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "The address the HTTP API binds (default: ${DEFAULT-VALUE}).")
    String apiAddress;

    @Option(names = "--registration-grace", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long a workload stays registered after its proxy disconnects (default: ${DEFAULT-VALUE}).")
    int graceSeconds;

    @Override
    public Integer call() throws InterruptedException {
        for (int port : new int[] {xdsPort, apiPort}) {
            if (port < 0 || port > 65535) {
                System.err.println("trellis control-plane: port " + port + " (expected: 0..65535)");
                return 2;
            }
        }
        if (graceSeconds < 1) {
            System.err.println("trellis control-plane: --registration-grace: " + graceSeconds + " (expected: 1 or more seconds)");
            return 2;
        }
        Path dir = dataDir != null ? dataDir : Path.of(System.getProperty("user.home"), ".trellis", "control-plane");
        ControlPlane controlPlane;
        try {
            controlPlane = ControlPlane.start(new ControlPlane.Options(dir, xdsAddress, xdsPort, apiAddress, apiPort,
                    Duration.ofSeconds(graceSeconds)));
        } catch (ConfigException e) {
            System.err.println("trellis control-plane: the stored configuration in " + dir + " does not read: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            System.err.println("trellis control-plane: " + e.getMessage());
            return 1;
        }
        System.err.println("trellis control-plane: xDS on " + xdsAddress + ":" + controlPlane.xdsPort() + ", HTTP API on "
                + apiAddress + ":" + controlPlane.apiPort() + ", data in " + dir);
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        stop.await();
        controlPlane.close();
        System.err.println("trellis control-plane: stopped");
        return 0;
    }
}
