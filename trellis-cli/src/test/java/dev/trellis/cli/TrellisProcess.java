package dev.trellis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.testing.KeepAliveClient;
import dev.trellis.testing.leaks.LeakGate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code trellis} command run as its own JVM, as the launcher runs it, its output in a log file
 * that tests read. It runs Netty's leak detection at paranoid through the leak gate
 * ({@link LeakGate#JVM_FLAGS}), and {@link #close()} stops it with SIGTERM, so that it reports
 * what it leaked as it exits, then fails if its output reports a leak.
 */
final class TrellisProcess implements AutoCloseable {
    static final Duration START = Duration.ofSeconds(60);
    /** How long a process may take to end after SIGTERM: a proxy's drain timeout is 10 s by default. */
    static final Duration STOP = Duration.ofSeconds(40);
    private static final Pattern ADMIN = Pattern.compile("admin on 127\\.0\\.0\\.1:(\\d+)");

    final Process process;
    final Path log;

    private TrellisProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code trellis ARGS...}, its output in {@code log}; {@code home} stands for the user's home. */
    static TrellisProcess start(Path log, Path home, String... args) throws IOException {
        return start(log, home, List.of(), args);
    }

    /** As {@link #start(Path, Path, String...)}, with more JVM flags (a heap limit, say). */
    static TrellisProcess start(Path log, Path home, List<String> jvmFlags, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(LeakGate.JVM_FLAGS);
        command.addAll(jvmFlags);
        command.addAll(List.of("-Duser.home=" + home, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new TrellisProcess(process, log);
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    /** The first match of {@code pattern} in the output, once it appears; fails if the process ends first. */
    Matcher awaitOutput(Pattern pattern) {
        return org.awaitility.Awaitility.await().atMost(START).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("the process ended (" + process.exitValue() + "): " + output());
            }
            Matcher matcher = pattern.matcher(output());
            return matcher.find() ? matcher : null;
        }, m -> m != null);
    }

    /** A proxy's admin port, from its start line. */
    int adminPort() {
        return Integer.parseInt(awaitOutput(ADMIN).group(1));
    }

    /** A proxy's {@code /config_dump}. */
    static JsonNode configDump(int adminPort) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", adminPort, Duration.ofSeconds(10))) {
            return new ObjectMapper().readTree(client.get("/config_dump").bodyText());
        }
    }

    /** The port a proxy's listener is bound to, once the listener exists. */
    static int listenerPort(int adminPort, String listenerName) {
        return org.awaitility.Awaitility.await().atMost(START).ignoreExceptions().until(() -> {
            for (JsonNode listener : configDump(adminPort).get("listeners")) {
                if (listener.get("name").asText().equals(listenerName)) {
                    String address = listener.get("address").asText();
                    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
                }
            }
            return 0;
        }, port -> port > 0);
    }

    void signal(String signal) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
    }

    /** Waits for the process to end by itself; its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the process is still running after " + timeout);
        }
        return process.exitValue();
    }

    /** SIGKILL, and wait for the process to be gone: it reports no leak then. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Stops the process with SIGTERM (SIGKILL if it is still running after {@link #STOP}), then
     * fails if its output reports a Netty leak.
     */
    @Override
    public void close() throws InterruptedException, IOException {
        if (process.isAlive()) {
            signal("TERM");
            if (!process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        }
        LeakGate.assertNoLeaks(log.getFileName().toString(), output());
    }
}
