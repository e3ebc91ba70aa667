package dev.trellis.cli.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Holds the info logs of the control plane, the proxies and the xDS server library back while
 * the demo runs: a control plane and three proxies connecting, registering and stopping would bury
 * the demo's own account of what happens. Warnings and errors still show, and
 * {@code TRELLIS_LOG_LEVEL} (the operator's explicit choice) turns this off.
 */
public final class QuietLogs implements AutoCloseable {
    /** Trellis itself, and java-control-plane's discovery server (it logs every stream's end at info). */
    private static final List<String> LOGGERS = List.of("dev.trellis", "io.envoyproxy.controlplane");

    private record Quieted(Logger logger, Level previous) {}

    private final List<Quieted> quieted;

    private QuietLogs(List<Quieted> quieted) {
        this.quieted = quieted;
    }

    public static QuietLogs apply() {
        List<Quieted> quieted = new ArrayList<>();
        if (System.getenv("TRELLIS_LOG_LEVEL") == null) {
            for (String name : LOGGERS) {
                Logger logger = Logger.getLogger(name); // held in quieted, so it keeps its level
                quieted.add(new Quieted(logger, logger.getLevel()));
                logger.setLevel(Level.WARNING);
            }
        }
        return new QuietLogs(quieted);
    }

    @Override
    public void close() {
        quieted.forEach(q -> q.logger().setLevel(q.previous()));
    }
}
