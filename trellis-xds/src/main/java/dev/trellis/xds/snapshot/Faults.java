package dev.trellis.xds.snapshot;

import dev.trellis.model.HttpFault;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;

/**
 * Translates a route's fault into Envoy's {@code HTTPFault}, the per-route config of the fault
 * filter, as Istio does: a fixed delay, an HTTP or gRPC abort, each with its share per million.
 */
final class Faults {
    private Faults() {}

    static HTTPFault of(HttpFault fault) {
        HTTPFault.Builder envoy = HTTPFault.newBuilder();
        fault.delay().ifPresent(delay -> envoy.setDelay(FaultDelay.newBuilder()
                .setFixedDelay(Protos.duration(delay.fixed()))
                .setPercentage(Protos.percent(delay.percent()))));
        fault.abort().ifPresent(abort -> {
            FaultAbort.Builder envoyAbort = FaultAbort.newBuilder().setPercentage(Protos.percent(abort.percent()));
            switch (abort) {
                case HttpFault.Abort.Http http -> envoyAbort.setHttpStatus(http.status());
                case HttpFault.Abort.Grpc grpc -> envoyAbort.setGrpcStatus(grpc.code());
            }
            envoy.setAbort(envoyAbort);
        });
        return envoy.build();
    }
}
