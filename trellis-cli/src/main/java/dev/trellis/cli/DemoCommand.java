package dev.trellis.cli;

import dev.trellis.cli.client.ApiClient;
import dev.trellis.cli.demo.ControlPlaneView;
import dev.trellis.cli.demo.DemoMesh;
import dev.trellis.cli.demo.DemoReport;
import dev.trellis.cli.demo.Durations;
import dev.trellis.cli.demo.LoadGenerator;
import dev.trellis.cli.demo.LoadStats;
import dev.trellis.cli.demo.PhaseStats;
import dev.trellis.cli.demo.Phases;
import dev.trellis.cli.demo.QuietLogs;
import dev.trellis.cli.demo.Reachability;
import dev.trellis.cli.demo.Resilience;
import dev.trellis.cli.demo.Split;
import dev.trellis.cli.demo.SplitControl;
import dev.trellis.cli.demo.StopRequests;
import dev.trellis.model.ConfigException;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code trellis demo}: a small mesh in this one process (a control plane, two versions of a
 * sample service, v2 in two replicas, whose sidecars register them, and a client sidecar), traffic
 * through it while the split between the versions moves 90/10, 50/50, 0/100 through the control
 * plane's HTTP API, then while a v2 replica fails half its requests, and what the client observes
 * in each phase. Ends by itself after {@code --duration}, or on
 * Ctrl-C; either way everything it started is stopped and its temporary directory removed.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a sample mesh in one process: a control plane, a catalog service in versions v1 and v2 (two replicas)"
                    + " whose sidecars register them, and a client sidecar. Sends traffic through it while the split between"
                    + " v1 and v2 moves 90/10 -> 50/50 -> 0/100 through the control plane's API, then while one v2 replica"
                    + " answers 503 to half its requests, and prints what it observes in each phase (split, failures), how"
                    + " retries and outlier detection hid the failing replica, then success rate, latency, registrations,"
                    + " proxy status and metrics.",
            "Ctrl-C stops it cleanly. Exit code 0 when every request succeeded, the split followed and the failing replica"
                    + " was ejected, 1 otherwise."
        })
final class DemoCommand implements Callable<Integer> {
    static final Duration MIN_DURATION = Duration.ofSeconds(1);
    static final Duration MAX_DURATION = Duration.ofHours(24);
    static final int MAX_RATE = 50_000;
    static final int MAX_CONNECTIONS = 1_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long to send traffic, in four equal phases: 10s, 1m, 1m30s, or plain seconds"
                    + " (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "200",
            description = "Requests per second, over all connections (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "4",
            description = "Concurrent client connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Override
    public Integer call() throws InterruptedException {
        Duration length = validDuration();
        validRange("--rate", rate, 1, MAX_RATE, "requests per second");
        validRange("--connections", connections, 1, MAX_CONNECTIONS, "connections");
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // As for `trellis proxy`: the latencies shown should be the proxies' own, without leak tracking.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        PrintWriter err = spec.commandLine().getErr();
        DemoReport report = new DemoReport(spec.commandLine().getOut());
        QuietLogs quietLogs = QuietLogs.apply();
        try (quietLogs; StopRequests stops = StopRequests.install()) {
            DemoMesh mesh;
            try {
                mesh = DemoMesh.start(stops::requested);
            } catch (ConfigException | RuntimeException e) {
                err.println("trellis demo: cannot start the sample mesh: " + e.getMessage());
                return 1;
            }
            try (mesh; HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(LoadGenerator.REQUEST_TIMEOUT)
                    .build()) {
                Optional<String> failure = run(mesh, http, length, stops, report);
                failure.ifPresent(why -> err.println("trellis demo: " + why));
                return failure.isPresent() ? 1 : 0;
            } finally {
                report.stopped(mesh.dir().toString());
            }
        }
    }

    /** Runs the demo on a started mesh; returns why it failed, or nothing when it passed or was asked to stop. */
    private Optional<String> run(DemoMesh mesh, HttpClient http, Duration length, StopRequests stops, DemoReport report)
            throws InterruptedException {
        if (stops.requested()) {
            return Optional.empty(); // Stopped while the mesh was starting: nothing to show.
        }
        Phases phases = new Phases(length);
        report.topology(mesh, rate, connections, length);
        SplitControl control = new SplitControl(mesh.api(), mesh.routingFile(), DemoMesh.CLIENT,
                DemoMesh.CANARY_HEADER, DemoMesh.CANARY_VALUE);
        SplitControl.Change first = control.shift(phases.first().split(), stops::requested);
        report.firstApply(mesh, first);
        if (stops.requested()) {
            return Optional.empty();
        }
        if (first.problem().isPresent()) {
            return Optional.of("the routing documents did not take effect: " + first.problem().get());
        }
        Reachability.Result reached = Reachability.await(http, mesh.catalogUri("/items"), Set.of(DemoMesh.V1, DemoMesh.V2),
                stops::requested);
        report.reached(reached);
        if (stops.requested()) {
            return Optional.empty();
        }
        if (!reached.reached()) {
            return Optional.of(DemoMesh.CLIENT + "'s requests did not reach both registered catalog instances within "
                    + Durations.format(Reachability.TIMEOUT) + " (see proxy-status: TRELLIS_API=" + mesh.apiAddress()
                    + " ./trellis proxy-status)");
        }

        PhaseStats stats = new PhaseStats(phases);
        stats.running(phases.first(), 0);
        report.loadStarts(phases, rate, connections, length);
        LoadGenerator load = LoadGenerator.start(http, mesh.catalogUri("/items"), rate, connections, length, stats);
        List<SplitControl.Change> changes = drive(mesh, load, length, phases, stats, control, stops, report);
        while (!load.await(Duration.ofMillis(50))) {
            if (stops.requested()) {
                load.stop();
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - load.startNanos());
        LoadStats.Counts counts = stats.total().counts();
        report.phases(stats, elapsed);
        report.summary(stats.total(), counts, elapsed, stops.requested());
        if (stops.requested()) {
            return Optional.empty(); // Asked to stop: what ran is reported, and stopping is not a failure.
        }
        Resilience resilience = Resilience.observe(http, mesh, stats.of(phases.last()));
        report.resilience(resilience);
        boolean canaryOk = showCanary(http, mesh, report);
        showRegistry(mesh, report);
        showMetrics(http, mesh, report);
        return verdict(counts, changes, stats.of(phases.last()), canaryOk).or(resilience::problem);
    }

    /**
     * While the load runs: a progress line each second, and at the start of each phase after the
     * first, its split applied through the API. Returns the changes made, in order.
     */
    private static List<SplitControl.Change> drive(DemoMesh mesh, LoadGenerator load, Duration length, Phases phases,
            PhaseStats stats, SplitControl control, StopRequests stops, DemoReport report) throws InterruptedException {
        long start = load.startNanos();
        List<SplitControl.Change> changes = new ArrayList<>();
        Iterator<Phases.Phase> upcoming = phases.all().subList(1, phases.all().size()).iterator();
        Phases.Phase nextPhase = upcoming.next();
        long nextSecond = 1;
        LoadStats.Counts last = stats.total().counts();
        while (true) {
            long secondAt = nextSecond <= length.toSeconds() ? nextSecond * 1_000_000_000L : Long.MAX_VALUE;
            long phaseAt = nextPhase != null ? nextPhase.startNanos() : Long.MAX_VALUE;
            long due = Math.min(secondAt, phaseAt);
            if (due == Long.MAX_VALUE || stops.await(start + due - System.nanoTime())) {
                return changes;
            }
            if (secondAt <= phaseAt) { // a second that ends as a phase starts belongs to the phase before
                LoadStats.Counts now = stats.total().counts();
                report.progress(nextSecond++, now.minus(last));
                last = now;
            } else if (nextPhase.replicaFails()) {
                // The split stays; one of v2's replicas starts answering 503 to half its requests.
                mesh.failReplica();
                long at = System.nanoTime() - start;
                stats.running(nextPhase, at);
                report.replicaFails(nextPhase, mesh.v2b().name(), at);
                nextPhase = upcoming.hasNext() ? upcoming.next() : null;
            } else {
                SplitControl.Change change = control.shift(nextPhase.split(), stops::requested);
                Phases.Phase phase = nextPhase;
                change.runningNanos().ifPresent(running -> stats.running(phase, running - start));
                report.phaseStarted(phase, change, start);
                changes.add(change);
                nextPhase = upcoming.hasNext() ? upcoming.next() : null;
            }
        }
    }

    /** Why the run failed, if it did: a request failed, a split did not take effect or was not followed, or the header route missed v2. */
    private static Optional<String> verdict(LoadStats.Counts counts, List<SplitControl.Change> changes, PhaseStats.Observed last,
            boolean canaryOk) {
        if (counts.succeeded() == 0) {
            return Optional.of("no request was served");
        }
        if (counts.failed() > 0) {
            return Optional.of(counts.failed() + " of " + counts.total() + " requests failed");
        }
        for (SplitControl.Change change : changes) {
            if (change.problem().isPresent()) {
                return Optional.of("the split " + change.split() + " did not take effect: " + change.problem().get());
            }
        }
        Split split = last.phase().split();
        LoadStats.Counts after = last.afterChange();
        if (after.total() == 0) {
            return Optional.of("no request of the last phase was sent after " + DemoMesh.CLIENT + " ran " + split
                    + " (a longer --duration or a higher --rate leaves time for some)");
        }
        long elsewhere = after.succeeded() - after.served(DemoMesh.V2);
        if (split.v1Weight() == 0 && elsewhere > 0) {
            return Optional.of(elsewhere + " of " + after.total() + " requests sent after " + DemoMesh.CLIENT + " ran " + split
                    + " were not served by " + DemoMesh.V2);
        }
        if (!canaryOk) {
            return Optional.of("the x-canary request did not reach " + DemoMesh.V2);
        }
        return Optional.empty();
    }

    /** One request on the header route, which must reach v2 whatever the split says. */
    private static boolean showCanary(HttpClient http, DemoMesh mesh, DemoReport report) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(mesh.catalogUri("/items"))
                .timeout(LoadGenerator.REQUEST_TIMEOUT)
                .header(DemoMesh.CANARY_HEADER, DemoMesh.CANARY_VALUE)
                .build();
        try {
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            String servedBy = response.headers().firstValue("x-served-by").orElse(LoadStats.UNKNOWN_SERVER);
            report.canary(response.statusCode(), servedBy);
            return response.statusCode() == 200 && servedBy.equals(mesh.v2().name());
        } catch (IOException e) {
            report.canary(0, "nobody: " + e);
            return false;
        }
    }

    /** What the control plane's API says: the registrations, and every proxy's sync status. */
    private static void showRegistry(DemoMesh mesh, DemoReport report) {
        try {
            report.workloads(mesh.apiAddress(), ControlPlaneView.workloads(mesh.api()));
        } catch (ApiClient.ApiException e) {
            report.unavailable("Registered workloads", e.getMessage());
        }
        try {
            report.proxies(mesh.apiAddress(), ControlPlaneView.proxies(mesh.api()));
        } catch (ApiClient.ApiException e) {
            report.unavailable("Proxies", e.getMessage());
        }
    }

    /** The client sidecar's request counters, as Prometheus would scrape them. */
    private static void showMetrics(HttpClient http, DemoMesh mesh, DemoReport report) throws InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + mesh.clientAdminPort() + "/stats/prometheus");
        List<String> lines;
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(uri).timeout(LoadGenerator.REQUEST_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            lines = response.body().lines().filter(l -> l.startsWith("istio_requests_total{")).toList();
        } catch (IOException e) {
            lines = List.of("(cannot read them: " + e + ")");
        }
        report.metrics(uri.toString(), lines);
    }

    private Duration validDuration() {
        Duration parsed = Durations.parse(duration).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "--duration: '" + duration + "' (expected: a duration such as 30s, 2m or 1m30s, or plain seconds)"));
        if (parsed.compareTo(MIN_DURATION) < 0 || parsed.compareTo(MAX_DURATION) > 0) {
            throw new ParameterException(spec.commandLine(), "--duration: " + duration + " (expected: "
                    + Durations.format(MIN_DURATION) + " to " + Durations.format(MAX_DURATION) + ")");
        }
        return parsed;
    }

    private void validRange(String option, int value, int min, int max, String unit) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(),
                    option + ": " + value + " (expected: " + min + ".." + max + " " + unit + ")");
        }
    }
}
