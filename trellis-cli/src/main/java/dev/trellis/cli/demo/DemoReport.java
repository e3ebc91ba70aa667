package dev.trellis.cli.demo;

import dev.trellis.cli.client.Table;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * Everything the demo prints, for a person reading a terminal: plain ASCII (any locale shows it),
 * aligned columns, numbers in a fixed locale so a decimal point is always a point. Lines may come
 * from more than one thread, so each call prints whole lines at once.
 */
public final class DemoReport {
    private final PrintWriter out;

    public DemoReport(PrintWriter out) {
        this.out = out;
    }

    public synchronized void topology(DemoMesh mesh, int rate, int connections, Duration duration) {
        line("Trellis demo: a control plane, a catalog service in two versions (v2 in two replicas) whose sidecars");
        line("register them, and a client sidecar. The split between the versions moves %s through the",
                Phases.SPLITS.subList(0, Phases.FAILING_PHASE - 1).stream().map(Split::toString).collect(Collectors.joining(" -> ")));
        line("control plane's HTTP API while traffic flows; then one v2 replica starts failing, and the client's sidecar");
        line("ejects it (outlier detection) while retries hide its errors from the callers.");
        line("");
        line("  %-26sxDS (ADS) %s   HTTP API http://%s/api/v1/", "control plane", mesh.xdsAddress(), mesh.apiAddress());
        line("    :  configures every sidecar over ADS; the catalog sidecars register their apps with it");
        line("");
        line("  %-26s%d connections, %d requests/s for %s", "load generator", connections, rate, Durations.format(duration));
        line("    |  GET %s", mesh.catalogUri("/items"));
        line("    v");
        line("  %-26s127.0.0.1:%-5d  (admin: http://127.0.0.1:%d/)", DemoMesh.CLIENT + " sidecar", mesh.clientPort(),
                mesh.clientAdminPort());
        line("    |  catalog:%d  %s: %s -> v2, otherwise the split by weight", MeshDocuments.CATALOG_PORT,
                DemoMesh.CANARY_HEADER, DemoMesh.CANARY_VALUE);
        for (DemoMesh.Version version : mesh.versions()) {
            line("    +-> %-22s127.0.0.1:%-5d  --> %s app  127.0.0.1:%d", version.name() + " sidecar",
                    version.inboundPort(), version.name(), version.app().port());
        }
        line("");
        line("  Files in %s (removed when the demo ends):", mesh.dir());
        for (DemoMesh.Version version : mesh.versions()) {
            line("    %-20s Proxy %s: registers catalog {version: %s} at 127.0.0.1:%d, app port %d",
                    version.file().getFileName(), version.name(), version.label(), version.inboundPort(), version.app().port());
        }
        line("    %-20s Proxy %s: upstream catalog:%d on 127.0.0.1:%d", mesh.clientFile().getFileName(), DemoMesh.CLIENT,
                MeshDocuments.CATALOG_PORT, mesh.clientPort());
        line("    %-20s DestinationRule (subsets v1, v2) and VirtualService for catalog, applied through the API",
                mesh.routingFile().getFileName());
        line("    %-20s the control plane's store; each proxy's last accepted configuration", "data/");
        line("  No ServiceEntry declares catalog: its instances are the workloads its sidecars registered.");
        line("  Look while it runs:  TRELLIS_API=%s ./trellis proxy-status   (or: get workloadentries, get vs)",
                mesh.apiAddress());
        out.flush();
    }

    /** The routing documents' first apply, before any load. */
    public synchronized void firstApply(DemoMesh mesh, SplitControl.Change change) {
        line("");
        line("Applying %s (split %s) through the API, as 'trellis apply -f' does:", mesh.routingFile().getFileName(),
                change.split());
        change.changes().forEach(c -> line("  %s", c));
        change.problem().ifPresentOrElse(p -> line("  failed: %s", p), () -> line("  %s runs the new routes %s later",
                DemoMesh.CLIENT, millis(change.runningNanos().orElseThrow() - change.appliedNanos())));
        out.flush();
    }

    public synchronized void reached(Reachability.Result result) {
        String failures = result.failures().isEmpty() ? ""
                : "; " + describe(result.failures()) + " while its configuration arrived";
        if (result.reached()) {
            line("%s reaches both registered instances: %s answered within %d requests (%.1f s%s).", DemoMesh.CLIENT,
                    String.join(" and ", result.servedBy().keySet()), result.requests(), seconds(result.took()), failures);
        } else {
            line("%s did not reach both registered instances in %.1f s: %d requests, answered by %s%s.", DemoMesh.CLIENT,
                    seconds(result.took()), result.requests(), result.servedBy().isEmpty() ? "none" : describe(result.servedBy()),
                    failures);
        }
        out.flush();
    }

    public synchronized void loadStarts(Phases phases, int rate, int connections, Duration duration) {
        line("");
        line("Load: %d requests/s over %d connections for %s, in %d phases of %s; the split moves at each phase.", rate,
                connections, Durations.format(duration), phases.all().size(), Durations.format(phases.phaseLength()));
        line("  %5s  %8s  %10s  %10s  %6s", "time", "requests", DemoMesh.V1, DemoMesh.V2, "errors");
        line("  phase 1, %s: applied before the load; %s runs it from the start", phases.first().split(), DemoMesh.CLIENT);
        out.flush();
    }

    /** What happened during one second of load, by the requests that ended in it. */
    public synchronized void progress(long second, LoadStats.Counts interval) {
        long served = interval.succeeded();
        line("  %4ds  %8d  %10s  %10s  %6d", second, interval.total(), percent(interval.served(DemoMesh.V1), served),
                percent(interval.served(DemoMesh.V2), served), interval.failed());
        out.flush();
    }

    /** A phase began: its split was applied through the API, and the client's sidecar runs it, or not. */
    public synchronized void phaseStarted(Phases.Phase phase, SplitControl.Change change, long loadStartNanos) {
        if (change.changes().isEmpty()) {
            line("  phase %d, %s: not applied: %s", phase.number(), phase.split(), change.problem().orElse("?"));
        } else {
            List<String> changed = change.changes().stream().filter(c -> !c.endsWith(" unchanged")).toList();
            line("  phase %d, %s: %s at %s; %s", phase.number(), phase.split(),
                    String.join(", ", changed.isEmpty() ? change.changes() : changed), at(change.appliedNanos() - loadStartNanos),
                    change.runningNanos().map(running -> DemoMesh.CLIENT + " runs it from " + at(running - loadStartNanos))
                            .orElse("not running: " + change.problem().orElse("?")));
        }
        out.flush();
    }

    /** The last phase began: one of v2's replicas starts failing, with the split unchanged. */
    public synchronized void replicaFails(Phases.Phase phase, String replica, long atNanos) {
        line("  phase %d, %s: %s starts answering 503 to half its requests at %s", phase.number(), phase.split(), replica,
                at(atNanos));
        out.flush();
    }

    /** What the failing replica answered, what the client's sidecar did, and what the callers saw. */
    public synchronized void resilience(Resilience seen) {
        line("");
        line("Resilience, phase %d: %s answering 503 to half its requests", Phases.FAILING_PHASE, seen.replica());
        line("  %-14s answered 503 to %d of the %d requests it got%s", seen.replica(), seen.replicaErrors(),
                seen.replicaRequests(), seen.ejections() > 0 ? ", then none: ejected" : "");
        line("  %-14s %s retries to v2, %s ejections by outlier detection (%s)", DemoMesh.CLIENT + " sidecar",
                known(seen.retries()), known(seen.ejections()), Resilience.V2_CLUSTER);
        line("  %-14s %d errors in %d requests: success rate %s", "callers saw", seen.phase().failed(), seen.phase().total(),
                successRate(seen.phase()));
        out.flush();
    }

    private static String known(long count) {
        return count < 0 ? "?" : Long.toString(count);
    }

    /**
     * Each phase's split as observed, with the requests sent once the client's sidecar ran it
     * apart; phases that had not begun when the load ended (stopped early) are left out.
     */
    public synchronized void phases(PhaseStats stats, Duration elapsed) {
        line("");
        line("Phases (each request counts in the phase it was sent in):");
        line("  %-38s %8s  %-15s  %-15s  %6s", "phase, split, sent", "requests", DemoMesh.V1, DemoMesh.V2, "errors");
        for (PhaseStats.Observed observed : stats.phases()) {
            Phases.Phase phase = observed.phase();
            if (phase.startNanos() >= elapsed.toNanos()) {
                break;
            }
            phaseRow(String.format(Locale.ROOT, "%d  %-5s  %s-%s", phase.number(), phase.split(), at(phase.startNanos()),
                    at(phase.endNanos())), observed.sent());
            if (phase.isFirst() || phase.replicaFails()) {
                continue; // its split ran before the phase started
            }
            OptionalLong from = observed.runningFrom();
            if (from.isPresent()) {
                phaseRow(String.format(Locale.ROOT, "     from %s, once %s ran %s", at(from.getAsLong()), DemoMesh.CLIENT,
                        phase.split()), observed.afterChange());
            } else {
                line("     %s never ran %s", DemoMesh.CLIENT, phase.split());
            }
        }
        out.flush();
    }

    private void phaseRow(String label, LoadStats.Counts counts) {
        line("  %-38s %8d  %6d %7s  %6d %7s  %6d", label, counts.total(), counts.served(DemoMesh.V1),
                percent(counts.served(DemoMesh.V1), counts.succeeded()), counts.served(DemoMesh.V2),
                percent(counts.served(DemoMesh.V2), counts.succeeded()), counts.failed());
    }

    public synchronized void summary(LoadStats stats, LoadStats.Counts counts, Duration elapsed, boolean stoppedEarly) {
        double seconds = seconds(elapsed);
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

    public synchronized void canary(int status, String servedBy) {
        line("");
        line("Header route: GET /items with %s: %s", DemoMesh.CANARY_HEADER, DemoMesh.CANARY_VALUE);
        line("  -> %d, served by %s", status, servedBy);
        out.flush();
    }

    /** The registrations, as {@code trellis get workloadentries} shows them. */
    public synchronized void workloads(String apiAddress, List<ControlPlaneView.Workload> workloads) {
        line("");
        line("Registered workloads (GET http://%s/api/v1/workloadentries; trellis get workloadentries):", apiAddress);
        Table table = new Table("SERVICE", "ADDRESS", "PORT", "PROTOCOL", "LABELS", "PROXY");
        for (ControlPlaneView.Workload w : workloads) {
            String labels = w.labels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
            table.row(w.service(), w.address(), String.valueOf(w.port()), w.protocol(), labels.isEmpty() ? "<none>" : labels,
                    w.nodeId());
        }
        table(table);
        out.flush();
    }

    /** Every proxy's sync status, as {@code trellis proxy-status} shows it. */
    public synchronized void proxies(String apiAddress, List<ControlPlaneView.Proxy> proxies) {
        line("");
        line("Proxies (GET http://%s/api/v1/proxy-status; trellis proxy-status):", apiAddress);
        Table table = new Table("NAME", "NODE", "STATUS", "CDS", "LDS", "EDS", "RDS");
        List<String> nacks = new ArrayList<>();
        for (ControlPlaneView.Proxy proxy : proxies) {
            List<String> row = new ArrayList<>(List.of(proxy.ref(), proxy.nodeId(), proxy.state()));
            for (String type : ControlPlaneView.TYPES) {
                row.add(proxy.type(type).map(ControlPlaneView.TypeStatus::state).orElse("-"));
                proxy.type(type).flatMap(ControlPlaneView.TypeStatus::nack)
                        .ifPresent(reason -> nacks.add(proxy.nodeId() + " rejected " + type + ": " + reason));
            }
            table.row(row.toArray(String[]::new));
        }
        table(table);
        nacks.forEach(n -> line("  %s", n));
        out.flush();
    }

    public synchronized void metrics(String url, List<String> lines) {
        line("");
        line("Client sidecar metrics (%s), istio_requests_total:", url);
        lines.forEach(l -> line("  %s", l));
        out.flush();
    }

    /** Something the control plane's API did not answer. */
    public synchronized void unavailable(String what, String why) {
        line("");
        line("%s: cannot read them: %s", what, why);
        out.flush();
    }

    public synchronized void stopped(String dir) {
        line("");
        line("Stopped: proxies drained, sample apps and control plane closed, %s removed.", dir);
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

    /** {@code 3.02s}: a moment, in nanoseconds after the load started. */
    static String at(long nanos) {
        return String.format(Locale.ROOT, "%.2fs", nanos / 1e9);
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%d ms", Math.round(nanos / 1e6));
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / 1e9;
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static String describe(Map<String, Long> counts) {
        return counts.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
    }

    /** A table as the CLI verbs print it, indented under its heading. */
    private void table(Table table) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            table.print(stream);
        }
        bytes.toString(StandardCharsets.UTF_8).lines().forEach(l -> line("  %s", l));
    }

    private void line(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
    }
}
