package dev.trellis.config.trellis;

import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.Meta;
import dev.trellis.model.RetryBudget;
import java.time.Duration;
import java.util.Optional;

/**
 * Reads {@code RetryBudget} of {@code trellis.dev/v1alpha1}: Linkerd's retry budget (a
 * ServiceProfile's {@code retryBudget}) for the callers of one host:
 *
 * <pre>
 * spec:
 *   host: catalog              # required
 *   retryRatio: 0.2            # retries per request, 0..1000
 *   minRetriesPerSecond: 10    # retries per second always allowed
 *   ttl: 10s                   # how long requests and retries count, 1s..60s
 * </pre>
 */
public final class RetryBudgetReader {
    private static final Fields SPEC = Fields.of("host", "retryRatio", "minRetriesPerSecond", "ttl");
    private static final String EXPECTED_TTL = "a duration from 1s to 60s";

    private RetryBudgetReader() {}

    public static Optional<RetryBudget> read(Meta meta, Node spec) {
        if (!spec.isRequiredObject(SPEC)) {
            return Optional.empty();
        }
        Optional<String> host = Names.host(spec.get("host"), meta.namespace());
        double ratio = spec.get("retryRatio").number(0, RetryBudget.MAX_RETRY_RATIO).orElse(RetryBudget.DEFAULT_RETRY_RATIO);
        int perSecond = spec.get("minRetriesPerSecond").integer(0, Integer.MAX_VALUE).orElse(RetryBudget.DEFAULT_MIN_RETRIES_PER_SECOND);
        Node ttlNode = spec.get("ttl");
        Optional<Duration> ttl = Durations.optional(ttlNode);
        if (ttl.isPresent() && (ttl.get().compareTo(RetryBudget.MIN_TTL) < 0 || ttl.get().compareTo(RetryBudget.MAX_TTL) > 0)) {
            ttlNode.problem(EXPECTED_TTL);
        }
        return Optional.of(new RetryBudget(meta, host.orElse(""), ratio, perSecond, ttl.orElse(RetryBudget.DEFAULT_TTL)));
    }
}
