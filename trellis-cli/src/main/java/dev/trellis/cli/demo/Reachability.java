package dev.trellis.cli.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * Before any load: requests through the client's sidecar, one at a time, until every expected
 * instance has answered one. What the control plane sends takes a moment to arrive (the listener,
 * then the routes and endpoints), so early requests may fail; they are counted here, apart from
 * the load.
 */
public final class Reachability {
    /** How long the mesh may take to carry traffic to every instance; on loopback it takes well under a second. */
    public static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final Duration PAUSE_AFTER_FAILURE = Duration.ofMillis(20);

    /**
     * What the probing saw.
     *
     * @param servedBy answers by instance ({@code x-served-by})
     * @param failures failed requests by kind
     * @param reached whether every expected instance answered
     */
    public record Result(Map<String, Long> servedBy, Map<String, Long> failures, Duration took, boolean reached) {
        public long requests() {
            return servedBy.values().stream().mapToLong(Long::longValue).sum()
                    + failures.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private Reachability() {}

    /** Probes {@code uri} until each of {@code instances} answered, {@link #TIMEOUT} passed, or {@code stop} says so. */
    public static Result await(HttpClient http, URI uri, Set<String> instances, BooleanSupplier stop) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(LoadGenerator.REQUEST_TIMEOUT).GET().build();
        Map<String, Long> servedBy = new TreeMap<>();
        Map<String, Long> failures = new TreeMap<>();
        long start = System.nanoTime();
        long deadline = start + TIMEOUT.toNanos();
        while (!servedBy.keySet().containsAll(instances) && System.nanoTime() < deadline && !stop.getAsBoolean()) {
            String failure;
            try {
                HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() / 100 == 2) {
                    servedBy.merge(response.headers().firstValue("x-served-by").orElse(LoadStats.UNKNOWN_SERVER), 1L, Long::sum);
                    continue;
                }
                failure = "HTTP " + response.statusCode();
            } catch (IOException e) {
                failure = LoadGenerator.failureKind(e);
            }
            failures.merge(failure, 1L, Long::sum);
            Thread.sleep(PAUSE_AFTER_FAILURE);
        }
        return new Result(servedBy, failures, Duration.ofNanos(System.nanoTime() - start), servedBy.keySet().containsAll(instances));
    }
}
