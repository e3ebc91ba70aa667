package dev.trellis.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.cli.client.ApiClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Moves catalog's split through the control plane's HTTP API, as {@code trellis apply -f} does:
 * writes the routing file with the new weights, applies it, and then watches proxy-status until
 * the client's sidecar acknowledges the routes that carry them, which is when it runs them.
 */
public final class SplitControl {
    /** How long a sidecar may take to run what was applied; on loopback it takes milliseconds. */
    static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(5);
    private static final long POLL_NANOS = 5_000_000;

    /**
     * What one change did.
     *
     * @param changes the apply's result, one line per document: {@code VirtualService default/catalog configured}
     * @param appliedNanos when the control plane had applied it, by {@link System#nanoTime()}
     * @param runningNanos when the client's sidecar was seen running it, by {@link System#nanoTime()}
     * @param problem why it was not applied or not seen running
     */
    public record Change(Split split, List<String> changes, long appliedNanos, Optional<Long> runningNanos, Optional<String> problem) {
        public boolean running() {
            return runningNanos.isPresent();
        }
    }

    private final ApiClient api;
    private final Path file;
    private final String clientProxy;
    private final String canaryHeader;
    private final String canaryValue;

    /**
     * @param file the routing file, rewritten and applied at each change
     * @param clientProxy the name of the sidecar whose routes must follow
     */
    public SplitControl(ApiClient api, Path file, String clientProxy, String canaryHeader, String canaryValue) {
        this.api = api;
        this.file = file;
        this.clientProxy = clientProxy;
        this.canaryHeader = canaryHeader;
        this.canaryValue = canaryValue;
    }

    public Path file() {
        return file;
    }

    /**
     * Applies {@code split} and waits, up to {@link #RUNNING_TIMEOUT} or until {@code stop} says so,
     * for the client's sidecar to run it.
     */
    public Change shift(Split split, BooleanSupplier stop) throws InterruptedException {
        String before;
        List<String> changes = new ArrayList<>();
        try {
            before = clientRoutesVersion().orElse("");
            String yaml = MeshDocuments.routing(split, canaryHeader, canaryValue);
            Files.writeString(file, yaml);
            JsonNode outcome = api.apply(List.of(new ApiClient.Source(file.toString(), yaml)), false);
            for (JsonNode change : outcome.path("changes")) {
                changes.add(change.path("kind").asText() + " " + change.path("namespace").asText() + "/"
                        + change.path("name").asText() + " " + change.path("action").asText());
            }
        } catch (ApiClient.ApiException e) {
            String problems = e.problems().isEmpty() ? "" : ": " + String.join("; ", e.problems());
            return new Change(split, changes, System.nanoTime(), Optional.empty(), Optional.of(e.getMessage() + problems));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        long applied = System.nanoTime();
        if (changes.stream().allMatch(line -> line.endsWith(" unchanged"))) {
            return new Change(split, changes, applied, Optional.of(applied), Optional.empty()); // nothing new to run
        }
        long deadline = applied + RUNNING_TIMEOUT.toNanos();
        String last = "no answer from the control plane yet";
        while (System.nanoTime() < deadline && !stop.getAsBoolean()) {
            try {
                Optional<ControlPlaneView.TypeStatus> routes = ControlPlaneView.proxy(ControlPlaneView.proxies(api), clientProxy)
                        .flatMap(p -> p.type("RDS"));
                if (routes.isPresent()) {
                    ControlPlaneView.TypeStatus rds = routes.get();
                    if (rds.nack().isPresent()) {
                        return new Change(split, changes, applied, Optional.empty(),
                                Optional.of(clientProxy + " rejected its routes: " + rds.nack().get()));
                    }
                    if (!rds.current().equals(before) && rds.current().equals(rds.acked())) {
                        return new Change(split, changes, applied, Optional.of(System.nanoTime()), Optional.empty());
                    }
                    last = "its routes are " + rds.state();
                } else {
                    last = "it is not connected";
                }
            } catch (ApiClient.ApiException e) {
                last = e.getMessage();
            }
            LockSupport.parkNanos(POLL_NANOS);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        return new Change(split, changes, applied, Optional.empty(), Optional.of(stop.getAsBoolean() ? "stopped"
                : clientProxy + " did not run the new routes within " + Durations.format(RUNNING_TIMEOUT) + " (" + last + ")"));
    }

    private Optional<String> clientRoutesVersion() throws ApiClient.ApiException {
        return ControlPlaneView.proxy(ControlPlaneView.proxies(api), clientProxy)
                .flatMap(p -> p.type("RDS"))
                .map(ControlPlaneView.TypeStatus::current);
    }
}
