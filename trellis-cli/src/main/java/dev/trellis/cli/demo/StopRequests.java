package dev.trellis.cli.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns Ctrl-C (SIGINT), SIGTERM and any other JVM exit into one request to stop, which the demo
 * honours by ending the load and cleaning up on its own thread.
 *
 * <p>Signals get handlers of their own rather than relying on a shutdown hook alone: a hook runs
 * only once the JVM is already exiting with status 130, while a handled Ctrl-C lets the demo print
 * its summary and exit 0. The shutdown hook stays as the backstop for every other way the JVM can
 * end (SIGHUP when the terminal closes, {@code -Xrs}, {@code System.exit} elsewhere): it asks for a
 * stop and waits for the cleanup, so no proxy or temporary file outlives the process. A second
 * Ctrl-C while cleaning up exits at once.
 */
public final class StopRequests implements AutoCloseable {
    /** How long the shutdown hook waits for the demo's cleanup before letting the JVM go. */
    private static final long HOOK_WAIT_SECONDS = 10;

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private final List<Restore> previousHandlers = new ArrayList<>();
    private final Thread hook = new Thread(this::onJvmExit, "trellis-demo-shutdown");

    private record Restore(Signal signal, SignalHandler handler) {}

    private StopRequests() {}

    public static StopRequests install() {
        StopRequests stops = new StopRequests();
        for (String name : List.of("INT", "TERM")) {
            try {
                Signal signal = new Signal(name);
                stops.previousHandlers.add(new Restore(signal, Signal.handle(signal, stops::onSignal)));
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal to itself (-Xrs, or an embedding host): the hook covers it.
            }
        }
        Runtime.getRuntime().addShutdownHook(stops.hook);
        return stops;
    }

    private void onSignal(Signal signal) {
        if (requested.getCount() == 0) {
            Runtime.getRuntime().halt(128 + signal.getNumber());
        }
        requested.countDown();
    }

    private void onJvmExit() {
        requested.countDown();
        try {
            cleanedUp.await(HOOK_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean requested() {
        return requested.getCount() == 0;
    }

    /** Waits up to {@code nanos} for a stop request; true if one came. */
    public boolean await(long nanos) throws InterruptedException {
        return requested.await(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    /** Call once everything is shut down: releases a waiting shutdown hook and restores the signals. */
    @Override
    public void close() {
        cleanedUp.countDown();
        previousHandlers.forEach(r -> Signal.handle(r.signal(), r.handler()));
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already exiting and running the hook, which has just been released.
        }
    }
}
