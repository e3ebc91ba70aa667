package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.KeepAliveClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Peak EWMA, the default balancer for HTTP: when one of three instances turns slow, the latency it
 * shows moves the callers' traffic away from it, and their tail latency returns near what it was.
 */
class PeakEwmaTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final Duration WINDOW = Duration.ofSeconds(2);

    TestMesh mesh = new TestMesh();

    @AfterEach
    void stop() {
        mesh.close();
    }

    /** Callers sending requests back to back, recording each latency and every failure. */
    static final class Callers implements AutoCloseable {
        final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong failures = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new ArrayList<>();

        Callers(int port, int count) {
            for (int i = 0; i < count; i++) {
                Thread thread = new Thread(() -> {
                    try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, WAIT)) {
                        while (running.get()) {
                            long start = System.nanoTime();
                            try {
                                if (client.get("/").status() != 200) {
                                    failures.incrementAndGet();
                                }
                                latencies.add(System.nanoTime() - start);
                            } catch (IOException e) {
                                failures.incrementAndGet();
                            }
                        }
                    }
                });
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
        }

        /** The 99th percentile of the latencies recorded during the next {@code window}. */
        long p99Over(Duration window) throws InterruptedException {
            latencies.clear();
            Thread.sleep(window.toMillis());
            List<Long> seen;
            synchronized (latencies) {
                seen = new ArrayList<>(latencies);
            }
            Collections.sort(seen);
            assertThat(seen).hasSizeGreaterThan(100);
            return seen.get((int) Math.ceil(seen.size() * 0.99) - 1);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(WAIT.toMillis());
            }
        }
    }

    @Test
    void aSlowInstanceLosesItsTrafficAndTheTailRecovers() throws Exception {
        HttpEchoServer a = mesh.closeLater(new HttpEchoServer("a").start());
        HttpEchoServer b = mesh.closeLater(new HttpEchoServer("b").start());
        HttpEchoServer slow = mesh.closeLater(new HttpEchoServer("slow").start());
        mesh.write("mesh.yaml", TestMesh.clientOf("app", a.port(), b.port(), slow.port()));
        StandaloneProxy proxy = mesh.start("client");
        int port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
        assertThat(mesh.configDump(proxy).path("clusters").get(0).path("lbPolicy").asText()).isEqualTo("PEAK_EWMA");

        try (Callers callers = new Callers(port, 8)) {
            Thread.sleep(1000); // warm-up: JIT, connections, every instance measured
            long healthy = callers.p99Over(WINDOW);

            slow.slowedBy(Duration.ofMillis(500));
            Thread.sleep(1500); // the slow answers arrive and raise its estimate
            long slowBefore = slow.requestCount();
            long degraded = callers.p99Over(WINDOW);
            long slowDuring = slow.requestCount() - slowBefore;

            assertThat(slowDuring).as("requests the slow instance took in %s", WINDOW).isLessThanOrEqualTo(2);
            // Within 2x of the healthy tail; on a busy machine a healthy p99 of a millisecond or two
            // is mostly scheduling, so 20 ms is allowed too: far below the 500 ms of the slow instance.
            assertThat(degraded).as("p99 %.1f ms, healthy %.1f ms", degraded / 1e6, healthy / 1e6)
                    .isLessThanOrEqualTo(Math.max(2 * healthy, Duration.ofMillis(20).toNanos()));
            assertThat(callers.failures.get()).isZero();
        }
    }
}
