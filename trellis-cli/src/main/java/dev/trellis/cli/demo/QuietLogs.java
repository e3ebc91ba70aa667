package dev.trellis.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the proxies' info logs back while the demo runs: three proxies starting, reloading and
 * draining would bury the demo's own account of what happens. Warnings and errors still show, and
 * {@code TRELLIS_LOG_LEVEL} (the operator's explicit choice) turns this off.
 */
public final class QuietLogs implements AutoCloseable {
    private final Logger logger;
    private final Level previous;

    private QuietLogs(Logger logger) {
        this.logger = logger;
        this.previous = logger == null ? null : logger.getLevel();
    }

    public static QuietLogs apply() {
        if (System.getenv("TRELLIS_LOG_LEVEL") != null
                || !(LoggerFactory.getLogger("dev.trellis") instanceof Logger logger)) {
            return new QuietLogs(null);
        }
        QuietLogs quiet = new QuietLogs(logger);
        logger.setLevel(Level.WARN);
        return quiet;
    }

    @Override
    public void close() {
        if (logger != null) {
            logger.setLevel(previous);
        }
    }
}
