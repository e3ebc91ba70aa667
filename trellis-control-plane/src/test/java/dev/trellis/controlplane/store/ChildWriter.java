package dev.trellis.controlplane.store;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@link StoreWriterMain} in a child JVM of the test's own java and classpath, and what it printed. */
final class ChildWriter implements AutoCloseable {
    /** One write the child saw acknowledged. Only whole lines count: a line cut by the kill never matches. */
    record Ack(long revision, long n) {}

    private static final Pattern ACK = Pattern.compile("ack (\\d+) (\\d+) \\.");
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private final Process process;
    private final Path stderr;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private ChildWriter(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.reader = Thread.ofPlatform().daemon().name("child-writer-stdout").start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child is gone; what was read is kept
            }
        });
    }

    static ChildWriter start(Path directory, Path stderr) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command for this JVM"));
        Process process = new ProcessBuilder(java, "-Xmx128m", "-Dio.netty.leakDetection.level=paranoid",
                "-cp", System.getProperty("java.class.path"), StoreWriterMain.class.getName(), directory.toString())
                .redirectError(stderr.toFile())
                .start();
        return new ChildWriter(process, stderr);
    }

    long pid() {
        return process.pid();
    }

    /** Waits until the child has printed its "open" line. */
    void awaitOpen() {
        awaitLines(() -> lines.stream().anyMatch(l -> l.startsWith("open ")));
    }

    void awaitAcks(int count) {
        awaitLines(() -> acks().size() >= count);
    }

    /** Kills the child with SIGKILL and reads what it printed before it died. */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("child " + process.pid() + " still alive after SIGKILL");
        }
        reader.join(PATIENCE.toMillis());
        return process.exitValue();
    }

    /** Waits for the child to exit on its own, and returns its exit code. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("child " + process.pid() + " did not exit; stderr: " + stderr());
        }
        reader.join(PATIENCE.toMillis());
        return process.exitValue();
    }

    List<Ack> acks() {
        return lines.stream().map(ACK::matcher).filter(Matcher::matches)
                .map(m -> new Ack(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)))).toList();
    }

    String stderr() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private void awaitLines(Callable<Boolean> condition) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!process.isAlive() && !condition.call()) {
                throw new AssertionError("child exited with " + process.exitValue() + "; stdout: " + lines + "; stderr: " + stderr());
            }
            return condition.call();
        });
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
