package dev.trellis.xds.snapshot;

import com.google.protobuf.UInt32Value;
import dev.trellis.model.OutlierDetection;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.type.v3.Percent;
import java.util.Optional;

/**
 * Istio's {@code outlierDetection} as a cluster's {@code outlier_detection}, exactly as Istio's
 * {@code applyOutlierDetection} fills it: success-rate ejection off ({@code enforcing_success_rate}
 * 0); {@code consecutive_5xx} and {@code consecutive_gateway_failure} only when set, each enforced
 * 100% when above 0 and 0% when 0; {@code interval} and {@code base_ejection_time} when set;
 * {@code max_ejection_percent} when above 0; with {@code splitExternalLocalOriginErrors}, the split,
 * {@code consecutive_local_origin_failure} enforced 100% when above 0, and local-origin success rate
 * off. Unset fields keep Envoy's defaults: 5 consecutive 5xx enforced 100%, gateway failures not
 * enforced, 10 s, 30 s, 10%. And {@code minHealthPercent} becomes {@code
 * common_lb_config.healthy_panic_threshold}, set even at 0 (Envoy's default is 50%).
 */
final class OutlierDetections {
    private OutlierDetections() {}

    static void apply(Cluster.Builder cluster, Optional<OutlierDetection> detection) {
        if (detection.isEmpty()) {
            return;
        }
        OutlierDetection d = detection.get();
        io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.Builder out = io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
                .setEnforcingSuccessRate(UInt32Value.of(0));
        d.consecutive5xxErrors().ifPresent(n -> out
                .setConsecutive5Xx(UInt32Value.of(n))
                .setEnforcingConsecutive5Xx(UInt32Value.of(n > 0 ? 100 : 0)));
        d.consecutiveGatewayErrors().ifPresent(n -> out
                .setConsecutiveGatewayFailure(UInt32Value.of(n))
                .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(n > 0 ? 100 : 0)));
        d.interval().ifPresent(i -> out.setInterval(Protos.duration(i)));
        d.baseEjectionTime().ifPresent(t -> out.setBaseEjectionTime(Protos.duration(t)));
        if (d.maxEjectionPercent() > 0) {
            out.setMaxEjectionPercent(UInt32Value.of(d.maxEjectionPercent()));
        }
        if (d.splitExternalLocalOriginErrors()) {
            out.setSplitExternalLocalOriginErrors(true);
            if (d.consecutiveLocalOriginFailures() > 0) {
                out.setConsecutiveLocalOriginFailure(UInt32Value.of(d.consecutiveLocalOriginFailures()))
                        .setEnforcingConsecutiveLocalOriginFailure(UInt32Value.of(100));
            }
            out.setEnforcingLocalOriginSuccessRate(UInt32Value.of(0));
        }
        cluster.setOutlierDetection(out);
        cluster.getCommonLbConfigBuilder().setHealthyPanicThreshold(Percent.newBuilder().setValue(d.minHealthPercent()));
    }
}
