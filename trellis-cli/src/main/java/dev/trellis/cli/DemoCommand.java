package dev.trellis.cli;

import dev.trellis.cli.demo.DemoMesh;
import dev.trellis.cli.demo.DemoReport;
import dev.trellis.cli.demo.Durations;
import dev.trellis.cli.demo.LoadGenerator;
import dev.trellis.cli.demo.LoadStats;
import dev.trellis.cli.demo.QuietLogs;
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
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code trellis demo}: a small mesh in this one process (two versions of a sample service, a
 * sidecar in front of each and a client sidecar), traffic through it under a 90/10 split, and
 * what the client observes. Ends by itself after {@code --duration}, or on Ctrl-C; either way
 * everything it started is stopped and its config files removed.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a sample mesh in one process: a catalog service in versions v1 and v2, a sidecar in front of each,"
                    + " and a client sidecar; sends traffic through it under a 90/10 split and prints what it observes"
                    + " (split, success rate, latency, the proxies' metrics).",
            "Ctrl-C stops it cleanly. Exit code 0 when every request succeeded, 1 otherwise."
        })
final class DemoCommand implements Callable<Integer> {
    static final Duration MIN_DURATION = Duration.ofSeconds(1);
    static final Duration MAX_DURATION = Duration.ofHours(24);
    static final int MAX_RATE = 50_000;
    static final int MAX_CONNECTIONS = 1_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long to send traffic: 10s, 1m, 1m30s, or plain seconds (default: ${DEFAULT-VALUE}).")
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
                mesh = DemoMesh.start();
            } catch (ConfigException | RuntimeException e) {
                err.println("trellis demo: cannot start the sample mesh: " + e.getMessage());
                return 1;
            }
            try (mesh; HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(LoadGenerator.REQUEST_TIMEOUT)
                    .build()) {
                return run(mesh, http, length, stops, report, err);
            } finally {
                report.stopped(mesh.configDir().toString());
            }
        }
    }

    private int run(DemoMesh mesh, HttpClient http, Duration length, StopRequests stops, DemoReport report, PrintWriter err)
            throws InterruptedException {
        if (stops.requested()) {
            return 0; // Stopped while the mesh was starting: nothing to show.
        }
        report.topology(mesh, rate, connections, length);
        LoadStats stats = new LoadStats();
        LoadGenerator load = LoadGenerator.start(http, mesh.catalogUri("/items"), rate, connections, length, stats);
        LoadStats.Counts last = stats.counts();
        for (long second = 1; second <= length.toSeconds(); second++) {
            if (stops.await(load.startNanos() + second * 1_000_000_000L - System.nanoTime())) {
                break;
            }
            LoadStats.Counts now = stats.counts();
            report.progress(second, now.minus(last));
            last = now;
        }
        while (!load.await(Duration.ofMillis(50))) {
            if (stops.requested()) {
                load.stop();
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - load.startNanos());
        LoadStats.Counts counts = stats.counts();
        report.summary(stats, counts, elapsed, stops.requested());
        if (stops.requested()) {
            return 0; // Asked to stop: what ran is reported, and stopping is not a failure.
        }
        boolean canaryOk = showCanary(http, mesh, report);
        showMetrics(http, mesh, report);
        if (counts.succeeded() == 0 || counts.failed() > 0 || !canaryOk) {
            err.println("trellis demo: " + (counts.succeeded() == 0 ? "no request was served"
                    : counts.failed() > 0 ? counts.failed() + " of " + counts.total() + " requests failed"
                    : "the x-canary request did not reach catalog-v2"));
            return 1;
        }
        return 0;
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
