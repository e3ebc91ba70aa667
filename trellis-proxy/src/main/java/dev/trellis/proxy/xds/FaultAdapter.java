package dev.trellis.proxy.xds;

import dev.trellis.proxy.route.Fault;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import java.time.Duration;
import java.util.Set;

/**
 * Reads Envoy's {@code HTTPFault}, the fault filter's config and its per-route override, into a
 * {@link Fault}: a fixed delay and an HTTP or gRPC abort, each with its share of requests (none
 * when the share is left out, as in Envoy). Faults chosen by request headers, for some downstream
 * nodes or clusters only, rate-limited responses and runtime overrides are refused.
 */
final class FaultAdapter {
    private static final Set<String> FAULT = Set.of("delay", "abort");
    private static final Set<String> DELAY = Set.of("fixed_delay", "percentage");
    private static final Set<String> ABORT = Set.of("http_status", "grpc_status", "percentage");
    private static final int MAX_GRPC_STATUS = 16;

    private final Refusals refusals;

    FaultAdapter(Refusals refusals) {
        this.refusals = refusals;
    }

    /** The fault; null when it has neither delay nor abort, or after refusing it. */
    Fault fault(HTTPFault fault, String where) {
        int before = refusals.count();
        refusals.onlyFields(fault, where, FAULT);
        Fault.Delay delay = fault.hasDelay() ? delay(fault.getDelay(), where + ".delay") : null;
        Fault.Abort abort = fault.hasAbort() ? abort(fault.getAbort(), where + ".abort") : null;
        if (refusals.count() > before || (delay == null && abort == null)) {
            return null;
        }
        return new Fault(delay, abort);
    }

    private Fault.Delay delay(FaultDelay delay, String where) {
        refusals.onlyFields(delay, where, DELAY);
        if (!delay.hasFixedDelay()) {
            refusals.add(where, "no fixed_delay (expected: a fixed_delay; Trellis has no header_delay)");
            return null;
        }
        Duration fixed = Values.duration(delay.getFixedDelay(), where + ".fixed_delay", refusals);
        double percent = delay.hasPercentage() ? Values.percent(delay.getPercentage(), where + ".percentage", refusals) : 0;
        return fixed == null ? null : new Fault.Delay(fixed, percent);
    }

    private Fault.Abort abort(FaultAbort abort, String where) {
        refusals.onlyFields(abort, where, ABORT);
        double percent = abort.hasPercentage() ? Values.percent(abort.getPercentage(), where + ".percentage", refusals) : 0;
        return switch (abort.getErrorTypeCase()) {
            case HTTP_STATUS -> {
                int status = abort.getHttpStatus();
                if (status < 200 || status > 599) {
                    refusals.add(where + ".http_status", Integer.toUnsignedString(status) + " (expected: 200..599)");
                    yield null;
                }
                yield new Fault.Abort(status, -1, percent);
            }
            case GRPC_STATUS -> {
                int status = abort.getGrpcStatus();
                if (status < 0 || status > MAX_GRPC_STATUS) {
                    refusals.add(where + ".grpc_status", Integer.toUnsignedString(status) + " (expected: a gRPC status code, 0..16)");
                    yield null;
                }
                yield new Fault.Abort(0, status, percent);
            }
            default -> {
                refusals.add(where, abort.getErrorTypeCase() + " (expected: http_status or grpc_status)");
                yield null;
            }
        };
    }
}
