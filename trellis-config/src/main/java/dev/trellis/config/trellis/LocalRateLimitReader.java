package dev.trellis.config.trellis;

import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.LocalRateLimit;
import dev.trellis.model.LocalRateLimit.PathLimit;
import dev.trellis.model.LocalRateLimit.TokenBucket;
import dev.trellis.model.Meta;
import dev.trellis.model.StringMatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads {@code LocalRateLimit} of {@code trellis.dev/v1alpha1}: a token bucket for the requests the
 * workloads of one service accept, applied by each of their proxies on its inbound listener:
 *
 * <pre>
 * spec:
 *   host: catalog                                                   # the service limited
 *   tokenBucket: {maxTokens: 100, tokensPerFill: 10, fillInterval: 1s}
 *   routes:                                                         # optional, first match wins
 *   - {pathPrefix: /search, tokenBucket: {maxTokens: 5, fillInterval: 1s}}
 *   - {path: /health, tokenBucket: {maxTokens: 1000, tokensPerFill: 1000, fillInterval: 1s}}
 * </pre>
 *
 * <p>{@code maxTokens} is required, 1 or more; {@code tokensPerFill} defaults to 1;
 * {@code fillInterval} is required, 50ms or more (Envoy's least), in whole milliseconds. A request
 * that finds no token is answered 429.
 */
public final class LocalRateLimitReader {
    private static final Fields SPEC = Fields.of("host", "tokenBucket", "routes");
    private static final Fields BUCKET = Fields.of("maxTokens", "tokensPerFill", "fillInterval");
    private static final Fields ROUTE = Fields.of("path", "pathPrefix", "tokenBucket");
    private static final Fields PATH = Fields.of("path", "pathPrefix");
    private static final String EXPECTED_PATH = "a path starting with /";

    private LocalRateLimitReader() {}

    public static Optional<LocalRateLimit> read(Meta meta, Node spec) {
        if (!spec.isRequiredObject(SPEC)) {
            return Optional.empty();
        }
        Optional<String> host = Names.host(spec.get("host"), meta.namespace());
        Optional<TokenBucket> bucket = bucket(spec.get("tokenBucket"));
        List<PathLimit> routes = new ArrayList<>();
        Map<StringMatch, String> pathsGiven = new HashMap<>();
        for (Node route : spec.get("routes").list("paths with their own token bucket")) {
            pathLimit(route, pathsGiven).ifPresent(routes::add);
        }
        if (host.isEmpty() || bucket.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LocalRateLimit(meta, host.get(), bucket.get(), routes));
    }

    private static Optional<PathLimit> pathLimit(Node route, Map<StringMatch, String> pathsGiven) {
        if (!route.isRequiredObject(ROUTE)) {
            return Optional.empty();
        }
        Optional<TokenBucket> bucket = bucket(route.get("tokenBucket"));
        if (!route.get("path").isPresent() && !route.get("pathPrefix").isPresent()) {
            route.problem("an object with exactly one of path, pathPrefix, and a tokenBucket");
            return Optional.empty();
        }
        if (route.get("path").isPresent() && route.get("pathPrefix").isPresent()) {
            route.get("pathPrefix").report("set with path (expected: exactly one of path, pathPrefix)");
            return Optional.empty();
        }
        Optional<StringMatch> path = route.exactlyOneOf(PATH).flatMap(field -> {
            Node value = route.get(field);
            Optional<String> text = value.string(EXPECTED_PATH);
            if (text.isPresent() && !text.get().startsWith("/")) {
                value.problem(EXPECTED_PATH);
                return Optional.empty();
            }
            Optional<StringMatch> match = text.map(t -> field.equals("path") ? new StringMatch.Exact(t) : new StringMatch.Prefix(t));
            String earlier = match.map(m -> pathsGiven.putIfAbsent(m, value.path())).orElse(null);
            if (earlier != null) {
                value.problem("a path not given already by " + earlier);
                return Optional.empty();
            }
            return match;
        });
        return path.isPresent() && bucket.isPresent() ? Optional.of(new PathLimit(path.get(), bucket.get())) : Optional.empty();
    }

    private static Optional<TokenBucket> bucket(Node bucket) {
        if (!bucket.isRequiredObject(BUCKET)) {
            return Optional.empty();
        }
        OptionalInt maxTokens = bucket.get("maxTokens").requiredInteger(1, Integer.MAX_VALUE);
        Node perFill = bucket.get("tokensPerFill");
        OptionalInt tokensPerFill = perFill.isPresent() ? perFill.integer(1, Integer.MAX_VALUE) : OptionalInt.of(1);
        Optional<Duration> fillInterval = Durations.requiredAtLeast(bucket.get("fillInterval"), TokenBucket.MIN_FILL_INTERVAL);
        if (maxTokens.isEmpty() || tokensPerFill.isEmpty() || fillInterval.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new TokenBucket(maxTokens.getAsInt(), tokensPerFill.getAsInt(), fillInterval.get()));
    }
}
