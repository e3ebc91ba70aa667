package dev.trellis.proxy.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

/** Runs bounded loops on several threads released at once, and fails if any of them threw. */
final class Concurrently {
    interface Body {
        void run(int thread) throws Exception;
    }

    private Concurrently() {}

    static void run(int threads, Body body) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    body.run(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "concurrently-" + t);
            thread.start();
            running.add(thread);
        }
        for (Thread thread : running) {
            thread.join(120_000); // a bound against a hang, not a speed check
            assertThat(thread.isAlive()).as("%s finished", thread.getName()).isFalse();
        }
        assertThat(failure.get()).isNull();
    }
}
