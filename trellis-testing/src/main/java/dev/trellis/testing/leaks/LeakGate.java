package dev.trellis.testing.leaks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Makes a Netty leak fail the test run, in the test JVM and in the JVMs tests start.
 * <ul>
 *   <li>In a test JVM, {@link NettyLeakExtension} runs after each test class: it forces Netty to
 *       report what was leaked ({@link #forceReport()}) and fails the class if anything was.</li>
 *   <li>A JVM that a test starts gets {@link #JVM_FLAGS}; it prints {@code LEAK:} lines for what
 *       it leaked, at the latest when it exits, and {@link #assertNoLeaks} fails on them.</li>
 * </ul>
 * Both need Netty to make its detectors from {@link RecordingLeakDetector}, which the JVM flags
 * (and the build's surefire {@code argLine}) ask for.
 */
public final class LeakGate {
    /** Flags for a JVM a test starts: paranoid leak detection, with leaks kept and reported at exit. */
    public static final List<String> JVM_FLAGS = List.of(
            "-Dio.netty.leakDetection.level=paranoid",
            "-Dio.netty.customResourceLeakDetector=" + RecordingLeakDetector.class.getName(),
            // The copy of Netty inside grpc-netty-shaded reads its own, relocated, properties.
            "-Dio.grpc.netty.shaded.io.netty.leakDetection.level=paranoid",
            "-Dio.grpc.netty.shaded.io.netty.customResourceLeakDetector=" + ShadedNettyLeakDetector.class.getName());

    /** A line Netty (or {@link RecordingLeakDetector} at exit) prints for a leak. */
    private static final Pattern LEAK_LINE = Pattern.compile("(?m)^.*LEAK:.*$");
    private static final int ROUNDS = 3;
    /** Leaks listed in one failure; the count says how many there were. */
    private static final int MAX_LISTED = 10;

    private LeakGate() {}

    /**
     * Fails unless this JVM runs Netty's leak detection at paranoid with a
     * {@link RecordingLeakDetector}: a gate that is not there must not pass silently.
     */
    public static void assertInstalled() {
        touchBuffers(); // Netty makes the ByteBuf detector when the first buffer class loads
        if (RecordingLeakDetector.detectors() == 0) {
            throw new AssertionError("the Netty leak gate is not installed: run the JVM with "
                    + "-Dio.netty.customResourceLeakDetector=" + RecordingLeakDetector.class.getName());
        }
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            throw new AssertionError("Netty leak detection runs at " + ResourceLeakDetector.getLevel()
                    + " (expected: PARANOID; run the JVM with -Dio.netty.leakDetection.level=paranoid)");
        }
        if (RecordingLeakDetector.shadedDetectors() > 0 && !ShadedNettyLeakDetector.paranoid()) {
            throw new AssertionError("gRPC's Netty leak detection is not at PARANOID: run the JVM with "
                    + "-Dio.grpc.netty.shaded.io.netty.leakDetection.level=paranoid");
        }
    }

    /**
     * Makes Netty report what has been leaked so far: collects garbage, so unreleased buffers that
     * nothing references any more are queued, then tracks new buffers, which makes the detector
     * read its queue. A few rounds, for the reference handler thread to enqueue in between; each
     * waits until a collection has been seen to run (a weakly held sentinel cleared), so a busy
     * machine delays the report rather than losing it.
     */
    public static void forceReport() {
        for (int round = 0; round < ROUNDS; round++) {
            java.lang.ref.WeakReference<Object> sentinel = new java.lang.ref.WeakReference<>(new Object());
            try {
                for (int wait = 0; wait < 100 && sentinel.get() != null; wait++) {
                    System.gc();
                    Thread.sleep(5);
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            touchBuffers();
            if (RecordingLeakDetector.shadedDetectors() > 0) {
                ShadedNettyLeakDetector.touchBuffers(); // only once gRPC's Netty is in use: it loads gRPC classes
            }
        }
    }

    /** Forces a report ({@link #forceReport()}), then returns the leaks reported since the last call. */
    public static List<String> collect() {
        forceReport();
        return RecordingLeakDetector.drain();
    }

    /**
     * Fails when {@code output}, what a JVM started by a test printed, reports a Netty leak.
     *
     * @param process names the JVM in the failure
     */
    public static void assertNoLeaks(String process, String output) {
        Matcher leak = LEAK_LINE.matcher(output);
        if (leak.find()) {
            List<String> lines = LEAK_LINE.matcher(output).results().map(m -> m.group()).limit(20).toList();
            throw new AssertionError(process + " reported a Netty leak:\n" + String.join("\n", lines));
        }
    }

    /** The message a test class fails with when {@code leaks} were reported while or before it ran. */
    static String describe(String testClass, List<String> leaks) {
        return leaks.size() + " Netty leak(s) reported by the end of " + testClass
                + " (a leak is reported when it is garbage-collected, so it may come from an earlier class)"
                + (leaks.size() > MAX_LISTED ? "; the first " + MAX_LISTED : "") + ":\n"
                + leaks.stream().limit(MAX_LISTED).map(l -> "LEAK: " + l).collect(Collectors.joining("\n"));
    }

    /** Allocates and releases a buffer of each kind, so that each is tracked once. */
    private static void touchBuffers() {
        for (ByteBufAllocator allocator : List.of(ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT,
                UnpooledByteBufAllocator.DEFAULT)) {
            ByteBuf direct = allocator.directBuffer(16);
            direct.release();
            ByteBuf heap = allocator.heapBuffer(16);
            heap.release();
        }
    }
}
