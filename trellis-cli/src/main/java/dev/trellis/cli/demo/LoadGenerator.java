package dev.trellis.cli.demo;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends GET requests at a fixed rate from a fixed number of workers, one request at a time
 * each, so the client keeps at most that many keep-alive connections open; until the deadline or
 * {@link #stop()}. Request {@code i} is due at
 * {@code start + i / rate}, so a slow answer delays only its worker and the rate holds while the
 * others keep up. Requests in flight when the load ends are allowed to finish.
 */
public final class LoadGenerator {
    /**
     * Where each request's outcome goes, from the workers' threads; {@code sentNanos} is when the
     * request was sent, in nanoseconds after the load started.
     */
    public interface Outcomes {
        /** A 2xx answer from {@code server} (its {@code x-served-by}), which took {@code tookNanos}. */
        void served(long sentNanos, String server, long tookNanos);

        /** A request that failed, by kind ("HTTP 503", "timeout", ...). */
        void failed(long sentNanos, String kind);
    }

    /** Every request's bound: a local mesh answers in milliseconds, so this only catches a hang. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /** How long a worker sleeps at most before it looks at the stop flag again. */
    private static final long MAX_PARK_NANOS = 50_000_000;

    private final HttpClient http;
    private final URI uri;
    private final long intervalNanos;
    private final long startNanos;
    private final long deadlineNanos;
    private final Outcomes outcomes;
    private final AtomicLong nextTicket = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean stopped;

    private LoadGenerator(HttpClient http, URI uri, int rate, Duration duration, Outcomes outcomes) {
        this.http = http;
        this.uri = uri;
        this.intervalNanos = 1_000_000_000L / rate;
        this.startNanos = System.nanoTime();
        this.deadlineNanos = startNanos + duration.toNanos();
        this.outcomes = outcomes;
    }

    /**
     * Starts {@code connections} workers sending {@code rate} requests per second in all. Outcomes
     * are given the moment each request was sent, in nanoseconds after {@link #startNanos()}.
     */
    public static LoadGenerator start(HttpClient http, URI uri, int rate, int connections, Duration duration, Outcomes outcomes) {
        LoadGenerator load = new LoadGenerator(http, uri, rate, duration, outcomes);
        for (int i = 0; i < connections; i++) {
            load.workers.add(Thread.ofPlatform().name("trellis-demo-load-" + i).daemon().start(load::work));
        }
        return load;
    }

    /** When the load started, by {@link System#nanoTime()}. */
    public long startNanos() {
        return startNanos;
    }

    /** Sends no more requests; those in flight finish. */
    public void stop() {
        stopped = true;
        workers.forEach(LockSupport::unpark);
    }

    /** Waits up to {@code timeout} for every worker to end; true when all have. */
    public boolean await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread worker : workers) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !worker.join(Duration.ofNanos(left))) {
                return false;
            }
        }
        return true;
    }

    private void work() {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET().build();
        while (!stopped) {
            long due = startNanos + nextTicket.getAndIncrement() * intervalNanos;
            if (due >= deadlineNanos || !sleepUntil(due)) {
                return;
            }
            send(request);
        }
    }

    /** False when the load was stopped while waiting. */
    private boolean sleepUntil(long due) {
        for (long wait; (wait = due - System.nanoTime()) > 0; ) {
            if (stopped) {
                return false;
            }
            LockSupport.parkNanos(Math.min(wait, MAX_PARK_NANOS));
        }
        return !stopped;
    }

    /** A short name for why a request got no answer, as the demo reports it. */
    static String failureKind(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "connect timeout";
        }
        if (e instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        return e.getClass().getSimpleName();
    }

    private void send(HttpRequest request) {
        long begin = System.nanoTime();
        long sent = begin - startNanos;
        try {
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            long took = System.nanoTime() - begin;
            if (response.statusCode() / 100 == 2) {
                outcomes.served(sent, response.headers().firstValue("x-served-by").orElse(LoadStats.UNKNOWN_SERVER), took);
            } else {
                outcomes.failed(sent, "HTTP " + response.statusCode());
            }
        } catch (IOException e) {
            outcomes.failed(sent, failureKind(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }
}
