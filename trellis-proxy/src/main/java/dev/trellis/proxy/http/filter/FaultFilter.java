package dev.trellis.proxy.http.filter;

import dev.trellis.proxy.telemetry.ResponseFlag;
import dev.trellis.proxy.route.Fault;
import dev.trellis.proxy.route.Percent;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.TimeUnit;

/**
 * Envoy's fault filter: delays a share of requests, then aborts a share of them with an HTTP or
 * gRPC status, as the route's {@link Fault} says (else the filter's own). The two draws are
 * independent; a delayed request may still be aborted, after its delay, as in Envoy.
 */
final class FaultFilter implements HttpFilter {
    private final Fault defaults;

    FaultFilter(Fault defaults) {
        this.defaults = defaults;
    }

    @Override
    public Status onRequest(FilterCallbacks request) {
        Fault fault = request.route().policy().fault() != null ? request.route().policy().fault() : defaults;
        if (fault == null) {
            return Status.CONTINUE;
        }
        Fault.Delay delay = fault.delay();
        if (delay != null && !delay.fixed().isZero() && Percent.draw(delay.percent())) {
            request.flag(ResponseFlag.DELAY_INJECTED);
            request.executor().schedule(() -> {
                if (!request.ended() && !abort(fault.abort(), request)) {
                    request.resume();
                }
            }, delay.fixed().toNanos(), TimeUnit.NANOSECONDS);
            return Status.STOP;
        }
        return abort(fault.abort(), request) ? Status.STOP : Status.CONTINUE;
    }

    /** Answers the request with the abort's status, if it falls in the abort's share. */
    private static boolean abort(Fault.Abort abort, FilterCallbacks request) {
        if (abort == null || !Percent.draw(abort.percent())) {
            return false;
        }
        HttpResponseStatus status = abort.httpStatus() != 0 ? HttpResponseStatus.valueOf(abort.httpStatus()) : HttpResponseStatus.OK;
        request.respond(status, abort.grpcStatus(), "fault filter abort", ResponseFlag.FAULT_INJECTED);
        return true;
    }
}
