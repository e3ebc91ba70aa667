package dev.trellis.cli.demo;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Everything the demo prints, for a person reading a terminal: plain ASCII (any locale shows it),
 * aligned columns, numbers in a fixed locale so a decimal point is always a point.
 */
public final class DemoReport {
    private final PrintWriter out;

    public DemoReport(PrintWriter out) {
        this.out = out;
    }

    public void topology(DemoMesh mesh, int rate, int connections, Duration duration) {
        line("Trellis demo: one service in two versions, %d/%d traffic split through the mesh",
                DemoMesh.V1_WEIGHT, 100 - DemoMesh.V1_WEIGHT);
        line("");
        line("  %-26s%d connections, %d requests/s for %s", "load generator", connections, rate, Durations.format(duration));
        line("    |  GET %s", mesh.catalogUri("/items"));
        line("    v");
        line("  %-26s127.0.0.1:%-5d  (admin: http://127.0.0.1:%d/)", DemoMesh.CLIENT + " sidecar", mesh.clientPort(),
                mesh.clientAdminPort());
        line("    |  catalog:%d  %d%% -> subset v1, %d%% -> subset v2;  %s: %s -> v2", MeshDocuments.CATALOG_PORT,
                DemoMesh.V1_WEIGHT, 100 - DemoMesh.V1_WEIGHT, DemoMesh.CANARY_HEADER, DemoMesh.CANARY_VALUE);
        for (DemoMesh.Version version : List.of(mesh.v1(), mesh.v2())) {
            line("    +-> %-20s127.0.0.1:%-5d  --> %s app  127.0.0.1:%d", version.name() + " sidecar",
                    version.inboundPort(), version.name(), version.app().port());
        }
        line("");
        line("  Config: the files a user would write; each proxy reads its own file and mesh.yaml,");
        line("  and reloads them on change: edit the weights in mesh.yaml while the demo runs.");
        line("  %s  (removed when the demo ends)", mesh.configDir());
        line("    %-16s ServiceEntry, DestinationRule and VirtualService for catalog", "mesh.yaml");
        line("    %-16s Proxy %s: upstream catalog:%d on 127.0.0.1:%d", DemoMesh.CLIENT + ".yaml", DemoMesh.CLIENT,
                MeshDocuments.CATALOG_PORT, mesh.clientPort());
        for (DemoMesh.Version version : List.of(mesh.v1(), mesh.v2())) {
            line("    %-16s Proxy %s: inbound 127.0.0.1:%d -> app port %d", version.name() + ".yaml", version.name(),
                    version.inboundPort(), version.app().port());
        }
        line("");
        line("  %5s  %8s  %10s  %10s  %6s", "time", "requests", DemoMesh.V1, DemoMesh.V2, "errors");
        out.flush();
    }

    /** What happened during one second of load. */
    public void progress(long second, LoadStats.Counts interval) {
        long served = interval.succeeded();
        line("  %4ds  %8d  %10s  %10s  %6d", second, interval.total(), percent(interval.served(DemoMesh.V1), served),
                percent(interval.served(DemoMesh.V2), served), interval.failed());
        out.flush();
    }

    public void summary(LoadStats stats, LoadStats.Counts counts, Duration elapsed, boolean stoppedEarly) {
        double seconds = elapsed.toNanos() / 1e9;
        line("");
        line("Summary%s: %d requests in %.1f s (%.1f/s)", stoppedEarly ? " (stopped early)" : "", counts.total(), seconds,
                seconds > 0 ? counts.total() / seconds : 0.0);
        line("  %-14s %8s  %7s", "served by", "requests", "share");
        List<String> servers = new ArrayList<>(List.of(DemoMesh.V1, DemoMesh.V2));
        counts.servedBy().keySet().stream().filter(s -> !servers.contains(s)).sorted().forEach(servers::add);
        for (String server : servers) {
            line("  %-14s %8d  %7s", server, counts.served(server), percent(counts.served(server), counts.succeeded()));
        }
        line("  %-14s %8d%s", "errors", counts.failed(), counts.failed() == 0 ? "" : "  (" + describe(counts.errors()) + ")");
        line("  %-14s %8s  (%d of %d answered 2xx)", "success rate", successRate(counts), counts.succeeded(), counts.total());
        if (counts.succeeded() > 0) {
            line("  %-14s p50 %.2f ms   p90 %.2f ms   p99 %.2f ms", "latency",
                    stats.percentileMillis(50), stats.percentileMillis(90), stats.percentileMillis(99));
            line("  %-14s client to app and back through two proxies; the first seconds include JVM warm-up", "");
        }
        out.flush();
    }

    public void canary(int status, String servedBy) {
        line("");
        line("Header route: GET /items with %s: %s", DemoMesh.CANARY_HEADER, DemoMesh.CANARY_VALUE);
        line("  -> %d, served by %s", status, servedBy);
        out.flush();
    }

    public void metrics(String url, List<String> lines) {
        line("");
        line("Client sidecar metrics (%s), istio_requests_total:", url);
        lines.forEach(l -> line("  %s", l));
        out.flush();
    }

    public void stopped(String configDir) {
        line("");
        line("Stopped: proxies drained, sample apps closed, %s removed.", configDir);
        out.flush();
    }

    /** "100%" only when every request succeeded: 99.996% must not round up to it. */
    public static String successRate(LoadStats.Counts counts) {
        if (counts.total() == 0) {
            return "-";
        }
        if (counts.failed() == 0) {
            return "100%";
        }
        return String.format(Locale.ROOT, "%.2f%%", Math.floor(10_000.0 * counts.succeeded() / counts.total()) / 100);
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static String describe(Map<String, Long> errors) {
        return errors.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
    }

    private void line(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
    }
}
