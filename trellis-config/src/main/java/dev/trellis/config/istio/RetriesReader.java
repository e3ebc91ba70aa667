package dev.trellis.config.istio;

import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.HttpRetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Reads Istio's {@code retries} of an HTTP route, and checks it as Istio's validation does:
 * {@code attempts} of 0 turns retries off and then nothing else may be set; durations are 1ms or
 * more; each {@code retryOn} condition is one Envoy retries on or an HTTP status.
 */
final class RetriesReader {
    private static final Fields RETRIES = Fields.of("attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities",
            "retryIgnorePreviousHosts", "backoff");
    /** Envoy's {@code retry_on} names that Trellis retries on. */
    static final List<String> CONDITIONS = List.of("5xx", "gateway-error", "reset", "connect-failure", "refused-stream",
            "retriable-4xx", "retriable-status-codes", "retriable-headers", "cancelled", "deadline-exceeded", "internal",
            "resource-exhausted", "unavailable");
    /** Envoy's {@code retry_on} names that Istio accepts and Trellis does not retry on yet. */
    static final List<String> NOT_IMPLEMENTED = List.of("reset-before-request", "envoy-ratelimited", "http3-post-connect-failure");
    private static final Pattern STATUS = Pattern.compile("[0-9]{3}");
    private static final Duration LEAST = Duration.ofMillis(1);

    private RetriesReader() {}

    static Optional<HttpRetry> read(Node retries) {
        if (!retries.isObject(RETRIES)) {
            return Optional.empty();
        }
        Node attemptsNode = retries.get("attempts");
        OptionalInt attempts = attemptsNode.integer(0, Integer.MAX_VALUE);
        Optional<Duration> perTryTimeout = Durations.atLeast(retries.get("perTryTimeout"), LEAST, false);
        Optional<HttpRetry.RetryOn> retryOn = retryOn(retries.get("retryOn"));
        Optional<Boolean> remote = retries.get("retryRemoteLocalities").bool();
        Optional<Boolean> ignorePrevious = retries.get("retryIgnorePreviousHosts").bool();
        Optional<Duration> backoff = Durations.atLeast(retries.get("backoff"), LEAST, false);
        List<String> others = RETRIES.supported().stream()
                .filter(f -> !f.equals("attempts") && retries.get(f).isPresent())
                .toList();
        if (attempts.orElse(attemptsNode.isPresent() ? -1 : 0) == 0 && !others.isEmpty()) {
            // Istio: a policy configured while attempts (0 when left out) turns retries off.
            String expected = "1 or more, since " + String.join(", ", others) + (others.size() == 1 ? " is" : " are")
                    + " set; 0 turns retries off";
            if (attemptsNode.isPresent()) {
                attemptsNode.problem(expected);
            } else {
                attemptsNode.missing(expected);
            }
            return Optional.empty();
        }
        if (attempts.isEmpty() && attemptsNode.isPresent()) {
            return Optional.empty();
        }
        return Optional.of(new HttpRetry(attempts.orElse(0), perTryTimeout, retryOn, ignorePrevious,
                remote.orElse(false), backoff));
    }

    /** Comma-separated Envoy condition names and HTTP statuses, as Istio reads them. */
    private static Optional<HttpRetry.RetryOn> retryOn(Node n) {
        String expected = "a comma-separated list of " + String.join(", ", CONDITIONS) + " and HTTP statuses such as 503";
        Optional<String> text = n.string(expected);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        List<String> conditions = new ArrayList<>();
        List<Integer> statuses = new ArrayList<>();
        boolean valid = true;
        for (String given : text.get().split(",", -1)) {
            String part = given.strip();
            if (STATUS.matcher(part).matches() && Integer.parseInt(part) >= 100 && Integer.parseInt(part) <= 599) {
                statuses.add(Integer.parseInt(part));
            } else if (CONDITIONS.contains(part)) {
                conditions.add(part);
            } else {
                valid = false;
                n.report("\"" + part + "\"" + (NOT_IMPLEMENTED.contains(part) ? " is not implemented yet" : "")
                        + " (expected: " + expected + ")");
            }
        }
        return valid ? Optional.of(new HttpRetry.RetryOn(conditions, statuses)) : Optional.empty();
    }
}
