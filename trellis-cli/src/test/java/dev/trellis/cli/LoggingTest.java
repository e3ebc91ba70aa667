package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingTest {
    private static String line(Level level, String logger, String message, Throwable thrown) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName(logger);
        record.setInstant(LocalTime.of(12, 34, 56, 789_000_000).atDate(LocalDate.of(2026, 1, 2))
                .atZone(ZoneId.systemDefault()).toInstant());
        record.setThrown(thrown);
        return new Logging.LineFormat().format(record);
    }

    @Test
    void aLineIsTimeLevelShortLoggerNameAndMessage() {
        assertThat(line(Level.INFO, "dev.trellis.proxy.ProxyServer", "proxy started", null))
                .isEqualTo("12:34:56.789 INFO  ProxyServer - proxy started" + System.lineSeparator());
        assertThat(line(Level.WARNING, "dev.trellis.proxy.xds.AdsClient", "lost control plane", null))
                .startsWith("12:34:56.789 WARN  AdsClient - lost control plane");
        assertThat(line(Level.SEVERE, "x", "boom", null)).startsWith("12:34:56.789 ERROR x - boom");
    }

    @Test
    void aThrowableFollowsItsLineWithItsStackTrace() {
        String text = line(Level.WARNING, "a.B", "failed", new IllegalStateException("why"));
        assertThat(text).startsWith("12:34:56.789 WARN  B - failed" + System.lineSeparator() + "java.lang.IllegalStateException: why")
                .contains("\tat dev.trellis.cli.LoggingTest");
    }

    @Test
    void levelsAreNamedAsSlf4jNamesThem() {
        assertThat(Logging.level("debug")).isEqualTo(Level.FINE);
        assertThat(Logging.level(" WARN ")).isEqualTo(Level.WARNING);
        assertThat(Logging.level(null)).isEqualTo(Level.INFO);
        assertThat(Logging.level("loud")).isEqualTo(Level.INFO);
        assertThat(Logging.name(Level.FINE)).isEqualTo("DEBUG");
        assertThat(Logging.name(Level.FINEST)).isEqualTo("TRACE");
        assertThat(Logging.name(Level.CONFIG)).isEqualTo("DEBUG");
    }

    @Test
    void slf4jLogsThroughJavaUtilLogging() {
        assertThat(LoggerFactory.getILoggerFactory().getClass().getName()).startsWith("org.slf4j.jul.");
    }
}
