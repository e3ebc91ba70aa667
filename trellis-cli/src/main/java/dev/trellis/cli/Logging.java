package dev.trellis.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The operational log: one line per event on stderr ({@code 12:00:00.000 INFO  ProxyServer - ...}),
 * so stdout stays for what a command prints. SLF4J reaches it through {@code java.util.logging},
 * whose classes the JDK already has: a proxy loads no logging library of its own (Logback alone
 * was ~600 classes and a quarter second of start-up). {@code TRELLIS_LOG_LEVEL} sets the level
 * (TRACE, DEBUG, INFO, WARN or ERROR; INFO by default); Netty's own logs show from WARN.
 */
public final class Logging {
    private static final Map<String, Level> LEVELS = Map.of(
            "TRACE", Level.FINEST, "DEBUG", Level.FINE, "INFO", Level.INFO, "WARN", Level.WARNING, "ERROR", Level.SEVERE);
    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final Logger ROOT = Logger.getLogger("");
    private static final Logger NETTY = Logger.getLogger("io.netty");

    private Logging() {}

    /** Sets the log up; called once, before anything logs. */
    public static void configure() {
        LogManager.getLogManager().reset();
        Handler stderr = new ConsoleHandler(); // System.err
        stderr.setLevel(Level.ALL);
        stderr.setFormatter(new LineFormat());
        ROOT.addHandler(stderr);
        ROOT.setLevel(level(System.getenv("TRELLIS_LOG_LEVEL")));
        NETTY.setLevel(Level.WARNING);
    }

    static Level level(String name) {
        return name == null ? Level.INFO : LEVELS.getOrDefault(name.trim().toUpperCase(Locale.ROOT), Level.INFO);
    }

    /** SLF4J's name for a java.util.logging level. */
    static String name(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "ERROR";
        } else if (value >= Level.WARNING.intValue()) {
            return "WARN";
        } else if (value >= Level.INFO.intValue()) {
            return "INFO";
        } else if (value >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }

    /** {@code HH:mm:ss.SSS LEVEL Logger - message}, then the stack trace of a throwable, if any. */
    static final class LineFormat extends Formatter {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

        @Override
        public String format(LogRecord record) {
            String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
            StringBuilder line = new StringBuilder(96)
                    .append(TIME.format(LocalTime.ofInstant(record.getInstant(), ZoneId.systemDefault())))
                    .append(' ')
                    .append(String.format("%-5s", name(record.getLevel())))
                    .append(' ')
                    .append(logger.substring(logger.lastIndexOf('.') + 1))
                    .append(" - ")
                    .append(formatMessage(record))
                    .append(System.lineSeparator());
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append(trace);
            }
            return line.toString();
        }
    }
}
