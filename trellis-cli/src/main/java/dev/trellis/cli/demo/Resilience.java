package dev.trellis.cli.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the last phase showed: the errors the failing replica answered, what the client's sidecar
 * did about them (retries, ejections, as its metrics count them), and what the callers saw.
 *
 * @param replica the failing replica's sidecar name
 * @param replicaRequests requests the failing replica's app received since it began failing
 * @param replicaErrors of those, the ones it answered 503
 * @param retries retries the client's sidecar sent to v2 (-1 if its metrics could not be read)
 * @param ejections v2 instances its outlier detection ejected (-1 if unknown)
 * @param phase what the callers saw in the last phase
 */
public record Resilience(String replica, long replicaRequests, long replicaErrors, long retries, long ejections,
        LoadStats.Counts phase) {
    /** The client's sidecar's cluster for catalog's subset v2. */
    static final String V2_CLUSTER = "outbound|" + MeshDocuments.CATALOG_PORT + "|v2|catalog.default.svc.cluster.local";

    public static Resilience observe(HttpClient http, DemoMesh mesh, PhaseStats.Observed last) throws InterruptedException {
        String metrics = "";
        try {
            URI uri = URI.create("http://127.0.0.1:" + mesh.clientAdminPort() + "/stats/prometheus");
            metrics = http.send(HttpRequest.newBuilder(uri).timeout(LoadGenerator.REQUEST_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            // Reported as unknown counts.
        }
        DemoMesh.Version replica = mesh.v2b();
        return new Resilience(replica.name(), mesh.replicaRequestsSinceFailing(), replica.app().failuresAnswered(),
                counter(metrics, "upstream_rq_retry"), counter(metrics, "outlier_detection_ejections_enforced_total"),
                last.afterChange());
    }

    private static long counter(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^envoy_cluster_" + name + "\\{cluster_name=\"" + Pattern.quote(V2_CLUSTER)
                + "\"} (\\d+)$").matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Why the last phase did not show what it should, if it did not. */
    public Optional<String> problem() {
        if (replicaErrors == 0) {
            return Optional.of(replica + " answered no error in the last phase (a longer --duration or a higher --rate gives it some)");
        }
        if (ejections < 1) {
            return Optional.of(replica + " answered " + replicaErrors + " errors but was not ejected");
        }
        if (phase.failed() > 0) {
            return Optional.of(phase.failed() + " requests failed while " + replica + " was failing: retries did not hide it");
        }
        return Optional.empty();
    }
}
