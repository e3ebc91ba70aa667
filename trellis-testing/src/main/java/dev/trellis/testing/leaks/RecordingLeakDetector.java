package dev.trellis.testing.leaks;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Netty's leak detector, which also keeps every leak it reports so that a test run can fail on
 * it ({@link LeakGate}). Netty makes every detector of a JVM from this class when the JVM runs
 * with {@code -Dio.netty.customResourceLeakDetector=dev.trellis.testing.leaks.RecordingLeakDetector}
 * ({@link LeakGate#JVM_FLAGS}). Leaks are still logged as Netty logs them ({@code LEAK: ...}).
 *
 * <p>Netty reports a leak only when a tracked object was garbage-collected unreleased and another
 * one is tracked after that. So that a JVM that ends reports what it leaked, loading this class
 * adds a shutdown hook which forces that report ({@link LeakGate#forceReport()}) and prints one
 * {@code LEAK:} line per leak on stderr, where a test that started the JVM looks for it.
 */
public class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {
    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger DETECTORS = new AtomicInteger();
    /** Kept here, not in {@link ShadedNettyLeakDetector}, so that reading it loads no gRPC class. */
    private static final AtomicInteger SHADED_DETECTORS = new AtomicInteger();

    static {
        Thread hook = new Thread(RecordingLeakDetector::reportAtExit, "netty-leak-report-at-exit");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
        DETECTORS.incrementAndGet();
    }

    /** The constructor Netty used before 4.1; it still tries it first. */
    @SuppressWarnings("deprecation")
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
        DETECTORS.incrementAndGet();
    }

    /** Report even when the logger is off: the gate must not depend on a logging configuration. */
    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        record(resourceType + ".release() was not called before it was garbage-collected." + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        record(resourceType + ".release() was not called before it was garbage-collected (no access records).");
        super.reportUntracedLeak(resourceType);
    }

    static void record(String leak) {
        LEAKS.add(leak);
    }

    static void shadedDetectorMade() {
        SHADED_DETECTORS.incrementAndGet();
    }

    /** How many detectors gRPC's copy of Netty made, from {@link ShadedNettyLeakDetector}: none until it is used. */
    static int shadedDetectors() {
        return SHADED_DETECTORS.get();
    }

    /** How many detectors Netty made from this class: none means the gate is not installed. */
    static int detectors() {
        return DETECTORS.get();
    }

    /** The leaks reported since the last call, and forgets them. */
    static List<String> drain() {
        List<String> leaks = new ArrayList<>();
        String leak;
        while ((leak = LEAKS.poll()) != null) {
            leaks.add(leak);
        }
        return leaks;
    }

    private static void reportAtExit() {
        try {
            LeakGate.forceReport();
        } catch (RuntimeException | LinkageError e) {
            System.err.println("netty leak gate: cannot force the leak report at exit: " + e);
        }
        List<String> leaks = drain();
        if (!leaks.isEmpty()) {
            System.err.println("LEAK: " + leaks.size() + " Netty leak(s) reported in this JVM (pid "
                    + ProcessHandle.current().pid() + "):");
            leaks.forEach(l -> System.err.println("LEAK: " + l));
            System.err.flush();
        }
    }
}
