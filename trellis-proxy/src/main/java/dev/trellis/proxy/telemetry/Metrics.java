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
                    out.append("istio_requests_total{");
                    appendLabels(out, stats.labels());
                    out.append(",response_code=\"").append(code).append("\"} ").append(n).append('\n');
                }
            }
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
        return out.toString();
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
