package dev.trellis.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Steady HTTP/1.1 load on keep-alive connections, each request sent once, each failure
 * recorded: a request whose connection broke before the whole response, or whose status is not
 * 2xx. One thread per connection, each a {@link KeepAliveClient} sending its path again and
 * again. For tests that change a proxy's configuration under load and must see that no request
 * failed, and which backends served them.
 */
public final class HttpLoad implements AutoCloseable {
    private static final int MAX_FAILURES_KEPT = 100;

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final LongAdder completed = new LongAdder();
    private final AtomicLong failureCount = new AtomicLong();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();

    private HttpLoad() {
    }

    /**
     * Starts {@code connections} clients sending {@code GET path} to {@code host:port} until
     * {@link #close()}.
     */
    public static HttpLoad start(String host, int port, String path, int connections) {
        return start(host, port, path, Map.of(), connections);
    }

    /** As {@link #start(String, int, String, int)}, each request with these extra headers. */
    public static HttpLoad start(String host, int port, String path, Map<String, String> headers, int connections) {
        HttpLoad load = new HttpLoad();
        for (int i = 0; i < connections; i++) {
            Thread thread = new Thread(() -> load.run(host, port, path, headers), "http-load-" + port + "-" + i);
            thread.setDaemon(true);
            load.threads.add(thread);
        }
        load.threads.forEach(Thread::start);
        return load;
    }

    private void run(String host, int port, String path, Map<String, String> headers) {
        try (KeepAliveClient client = new KeepAliveClient(host, port, Duration.ofSeconds(10))) {
            while (running.get()) {
                try {
                    KeepAliveClient.Response response = client.get(path, headers);
                    if (response.status() / 100 != 2) {
                        fail(path + ": " + response.status() + " " + response.bodyText());
                    } else {
                        completed.increment();
                        String server = response.header("x-served-by");
                        servedBy.computeIfAbsent(server == null ? "?" : server, k -> new LongAdder()).increment();
                    }
                } catch (IOException e) {
                    fail(path + ": " + e);
                }
            }
        }
    }

    private void fail(String failure) {
        failureCount.incrementAndGet();
        synchronized (failures) {
            if (failures.size() < MAX_FAILURES_KEPT) {
                failures.add(failure);
            }
        }
    }

    /** Requests answered with 2xx so far. */
    public long completed() {
        return completed.sum();
    }

    /** Requests that failed so far. */
    public long failureCount() {
        return failureCount.get();
    }

    /** The first failures (up to 100), each with its path and what went wrong. */
    public List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Successful requests by the {@code x-served-by} header of their response. */
    public Map<String, Long> servedBy() {
        Map<String, Long> out = new TreeMap<>();
        servedBy.forEach((server, count) -> out.put(server, count.sum()));
        return out;
    }

    /** Stops sending and waits for the requests in flight to end. */
    @Override
    public void close() {
        running.set(false);
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofSeconds(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
