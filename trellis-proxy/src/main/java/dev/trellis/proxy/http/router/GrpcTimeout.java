package dev.trellis.proxy.http.router;

/**
 * The {@code grpc-timeout} header of gRPC over HTTP/2: at most 8 ASCII digits and a unit (H, M, S,
 * m, u, n). Parsed to bound a call's deadline, and written back reduced by the time spent, so the
 * server sees the deadline the caller has left.
 */
final class GrpcTimeout {
    private static final long MAX_VALUE = 99_999_999L;

    private GrpcTimeout() {}

    /** The timeout in nanoseconds, or -1 when absent or malformed (then ignored, as Envoy does). */
    static long parse(String value) {
        if (value == null || value.length() < 2 || value.length() > 9) {
            return -1;
        }
        long amount = 0;
        for (int i = 0; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            amount = amount * 10 + (c - '0');
        }
        long unitNanos = switch (value.charAt(value.length() - 1)) {
            case 'H' -> 3_600_000_000_000L;
            case 'M' -> 60_000_000_000L;
            case 'S' -> 1_000_000_000L;
            case 'm' -> 1_000_000L;
            case 'u' -> 1_000L;
            case 'n' -> 1L;
            default -> -1;
        };
        if (unitNanos < 0) {
            return -1;
        }
        return amount > Long.MAX_VALUE / unitNanos ? Long.MAX_VALUE : amount * unitNanos;
    }

    /** {@code nanos} in the finest unit whose value fits in 8 digits, rounded up so the deadline is never shortened. */
    static String format(long nanos) {
        long[] units = {1L, 1_000L, 1_000_000L, 1_000_000_000L, 60_000_000_000L, 3_600_000_000_000L};
        char[] names = {'n', 'u', 'm', 'S', 'M', 'H'};
        for (int i = 0; i < units.length; i++) {
            long value = (nanos + units[i] - 1) / units[i];
            if (value <= MAX_VALUE) {
                return value + String.valueOf(names[i]);
            }
        }
        return MAX_VALUE + "H";
    }
}
