package dev.trellis.config.istio;

import dev.trellis.config.internal.Choices;
import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.HttpFault;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Reads Istio's {@code fault} of an HTTP route: a fixed delay, an abort with an HTTP status or a
 * gRPC status name, each with the share of requests it applies to. As in Istio, a delay or abort
 * that gives no share applies to no request.
 */
final class FaultReader {
    private static final Fields FAULT = Fields.of("delay", "abort");
    private static final Fields DELAY = Fields.of("fixedDelay", "percentage", "percent").notImplemented("exponentialDelay");
    private static final Fields ABORT = Fields.of("httpStatus", "grpcStatus", "percentage").notImplemented("http2Error");
    private static final Fields ABORT_STATUS = Fields.of("httpStatus", "grpcStatus");
    /** gRPC's status names, as Istio takes them, to their codes. */
    private static final Choices<Integer> GRPC_STATUS = Choices.of("OK", 0)
            .or("CANCELLED", 1)
            .or("UNKNOWN", 2)
            .or("INVALID_ARGUMENT", 3)
            .or("DEADLINE_EXCEEDED", 4)
            .or("NOT_FOUND", 5)
            .or("ALREADY_EXISTS", 6)
            .or("PERMISSION_DENIED", 7)
            .or("RESOURCE_EXHAUSTED", 8)
            .or("FAILED_PRECONDITION", 9)
            .or("ABORTED", 10)
            .or("OUT_OF_RANGE", 11)
            .or("UNIMPLEMENTED", 12)
            .or("INTERNAL", 13)
            .or("UNAVAILABLE", 14)
            .or("DATA_LOSS", 15)
            .or("UNAUTHENTICATED", 16);

    private FaultReader() {}

    static Optional<HttpFault> read(Node fault) {
        if (!fault.isObject(FAULT)) {
            return Optional.empty();
        }
        if (!fault.get("delay").isPresent() && !fault.get("abort").isPresent()) {
            fault.problem("an object with a delay, an abort or both");
            return Optional.empty();
        }
        Optional<HttpFault.Delay> delay = delay(fault.get("delay"));
        Optional<HttpFault.Abort> abort = abort(fault.get("abort"));
        // Each is empty when present only after a problem was reported.
        if (delay.isEmpty() && fault.get("delay").isPresent() || abort.isEmpty() && fault.get("abort").isPresent()) {
            return Optional.empty();
        }
        return Optional.of(new HttpFault(delay, abort));
    }

    private static Optional<HttpFault.Delay> delay(Node delay) {
        if (!delay.isObject(DELAY)) {
            return Optional.empty();
        }
        Optional<Duration> fixed = Durations.requiredAtLeast(delay.get("fixedDelay"), Duration.ofMillis(1));
        OptionalDouble share = share(delay);
        return fixed.isPresent() && share.isPresent()
                ? Optional.of(new HttpFault.Delay(fixed.get(), share.getAsDouble()))
                : Optional.empty();
    }

    /** {@code percentage}, or the older whole {@code percent}, not both; none when neither is given. */
    private static OptionalDouble share(Node delay) {
        if (delay.get("percentage").isPresent() && delay.get("percent").isPresent()) {
            delay.get("percent").report("set with percentage (expected: one of percentage, percent)");
            return OptionalDouble.empty();
        }
        if (delay.get("percent").isPresent()) {
            return PercentReader.wholePercent(delay.get("percent"));
        }
        return delay.get("percentage").isPresent() ? PercentReader.percentage(delay.get("percentage")) : OptionalDouble.of(0);
    }

    private static Optional<HttpFault.Abort> abort(Node abort) {
        if (!abort.isObject(ABORT)) {
            return Optional.empty();
        }
        Node percentage = abort.get("percentage");
        OptionalDouble share = percentage.isPresent() ? PercentReader.percentage(percentage) : OptionalDouble.of(0);
        if (abort.get("http2Error").isPresent()) {
            return Optional.empty(); // reported as not implemented
        }
        if (!abort.get("httpStatus").isPresent() && !abort.get("grpcStatus").isPresent()) {
            abort.problem("an object with exactly one of httpStatus, grpcStatus");
            return Optional.empty();
        }
        Optional<String> kind = abort.exactlyOneOf(ABORT_STATUS);
        if (kind.isEmpty() || share.isEmpty()) {
            return Optional.empty();
        }
        if (kind.get().equals("httpStatus")) {
            OptionalInt status = abort.get("httpStatus").integer(200, 599);
            return status.isPresent() ? Optional.of(new HttpFault.Abort.Http(status.getAsInt(), share.getAsDouble())) : Optional.empty();
        }
        return abort.get("grpcStatus").oneOf(GRPC_STATUS).map(code -> new HttpFault.Abort.Grpc(code, share.getAsDouble()));
    }
}
