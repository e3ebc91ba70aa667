package dev.trellis.proxy.telemetry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's metrics, exposed in the Prometheus text format under Istio's standard names
 * ({@code istio_requests_total}, {@code istio_request_duration_milliseconds}) so existing
 * dashboards and alerts keep working. Stats are keyed by their labels and survive config
 * reloads: a route that keeps its name keeps its counters.
 */
public final class Metrics {
    private final Map<Map<String, String>, RequestStats> requests = new ConcurrentHashMap<>();
    private final Map<String, ClusterStats> clusters = new ConcurrentHashMap<>();

    /** The resilience counters of the cluster named {@code name}, created on first use. */
    public ClusterStats clusterStats(String name) {
        return clusters.computeIfAbsent(name, ClusterStats::new);
    }

    /** The stats for these labels, created on first use. Label order is kept in the output. */
    public RequestStats requestStats(Map<String, String> labels) {
        return requests.computeIfAbsent(Map.copyOf(labels), k -> new RequestStats(new LinkedHashMap<>(labels)));
    }

    /** Every metric in the Prometheus text exposition format, version 0.0.4. */
    public String prometheusText() {
        StringBuilder out = new StringBuilder(4096);
        List<RequestStats> all = new ArrayList<>(requests.values());
        all.sort((a, b) -> a.labels().toString().compareTo(b.labels().toString()));

        out.append("# HELP istio_requests_total Requests handled, by response code.\n");
        out.append("# TYPE istio_requests_total counter\n");
        for (RequestStats stats : all) {
            for (int code = 0; code < 600; code++) {
                long n = stats.count(code);
                if (n > 0) {
                    requestsTotal(out, stats, code, "-", n);
                }
            }
            new java.util.TreeMap<>(stats.flagged()).forEach((key, count) ->
                    requestsTotal(out, stats, (int) (key >>> 32), ResponseFlag.render(key.intValue()), count.sum()));
        }

        out.append("# HELP istio_request_duration_milliseconds Time from request start to response end.\n");
        out.append("# TYPE istio_request_duration_milliseconds histogram\n");
        for (RequestStats stats : all) {
            long[] cumulative = stats.duration().cumulativeCounts();
            for (int i = 0; i < cumulative.length; i++) {
                out.append("istio_request_duration_milliseconds_bucket{");
                appendLabels(out, stats.labels());
                out.append(",le=\"")
                        .append(i < LatencyHistogram.BOUNDS.length ? format(LatencyHistogram.BOUNDS[i]) : "+Inf")
                        .append("\"} ")
                        .append(cumulative[i])
                        .append('\n');
            }
            out.append("istio_request_duration_milliseconds_sum{");
            appendLabels(out, stats.labels());
            out.append("} ").append(stats.duration().sumMillis()).append('\n');
            out.append("istio_request_duration_milliseconds_count{");
            appendLabels(out, stats.labels());
            out.append("} ").append(cumulative[cumulative.length - 1]).append('\n');
        }
        appendClusterStats(out);
        return out.toString();
    }

    private void appendClusterStats(StringBuilder out) {
        List<ClusterStats> all = new ArrayList<>(clusters.values());
        all.sort((a, b) -> a.cluster().compareTo(b.cluster()));
        counter(out, all, "upstream_rq_retry", "Retries sent.", s -> s.retries.sum());
        counter(out, all, "upstream_rq_retry_success", "Requests that succeeded on a retry.", s -> s.retrySuccesses.sum());
        counter(out, all, "upstream_rq_retry_overflow", "Retries skipped: no room in the retry budget or maxRetries.",
                s -> s.retryOverflows.sum());
        counter(out, all, "upstream_rq_retry_limit_exceeded", "Requests whose retries were used up.",
                s -> s.retryLimitExceeded.sum());
        counter(out, all, "upstream_rq_overflow", "Requests answered 503 at once: maxRequests reached.",
                s -> s.requestOverflows.sum());
        counter(out, all, "upstream_rq_pending_overflow", "Requests answered 503 at once: maxPendingRequests reached.",
                s -> s.pendingOverflows.sum());
        counter(out, all, "upstream_cx_overflow", "Connections not made: maxConnections reached.",
                s -> s.connectionOverflows.sum());
        counter(out, all, "upstream_rq_timeout", "Requests that ran out of their route timeout.", s -> s.timeouts.sum());
        counter(out, all, "upstream_rq_per_try_timeout", "Tries that ran out of their per-try timeout.",
                s -> s.perTryTimeouts.sum());
        counter(out, all, "lb_locality_failover", "Picks sent to a locality tier past the caller's first.",
                s -> s.failovers.sum());
        counter(out, all, "upstream_rq_mirrored", "Mirrored copies of requests sent.", s -> s.mirrors.sum());
        counter(out, all, "outlier_detection_ejections_enforced_total", "Endpoints ejected by outlier detection.",
                s -> s.ejections.sum());
        out.append("# HELP envoy_cluster_outlier_detection_ejections_active Endpoints ejected now.\n");
        out.append("# TYPE envoy_cluster_outlier_detection_ejections_active gauge\n");
        for (ClusterStats stats : all) {
            out.append("envoy_cluster_outlier_detection_ejections_active{cluster_name=\"");
            escape(out, stats.cluster());
            out.append("\"} ").append(stats.ejectedNow()).append('\n');
        }
    }

    private static void counter(StringBuilder out, List<ClusterStats> all, String name, String help,
            java.util.function.ToLongFunction<ClusterStats> value) {
        out.append("# HELP envoy_cluster_").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE envoy_cluster_").append(name).append(" counter\n");
        for (ClusterStats stats : all) {
            out.append("envoy_cluster_").append(name).append("{cluster_name=\"");
            escape(out, stats.cluster());
            out.append("\"} ").append(value.applyAsLong(stats)).append('\n');
        }
    }

    private static void requestsTotal(StringBuilder out, RequestStats stats, int code, String flags, long count) {
        out.append("istio_requests_total{");
        appendLabels(out, stats.labels());
        out.append(",response_code=\"").append(code).append("\",response_flags=\"").append(flags).append("\"} ")
                .append(count).append('\n');
    }

    private static void appendLabels(StringBuilder out, Map<String, String> labels) {
        boolean first = true;
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            out.append(label.getKey()).append("=\"");
            escape(out, label.getValue());
            out.append('"');
        }
    }

    private static void escape(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    private static String format(double bound) {
        return bound == Math.rint(bound) ? Long.toString((long) bound) : Double.toString(bound);
    }
}
