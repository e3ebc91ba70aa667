package dev.trellis.config.trellis;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.config.KindNames;
import dev.trellis.model.ConfigException;
import dev.trellis.model.LocalRateLimit;
import dev.trellis.model.LocalRateLimit.PathLimit;
import dev.trellis.model.LocalRateLimit.TokenBucket;
import dev.trellis.model.Meta;
import dev.trellis.model.Origin;
import dev.trellis.model.StringMatch;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalRateLimitReaderTest {
    private static final String PREFIX = "test.yaml (document 1) LocalRateLimit shop/catalog: ";
    private static final String FILL = "a duration of 50ms or more, in whole milliseconds";

    /** A LocalRateLimit named catalog in namespace shop with {@code spec}, indented by 2. */
    private static String limit(String spec) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: LocalRateLimit
                metadata: {name: catalog, namespace: shop}
                spec:
                """ + spec.indent(2);
    }

    @Test
    void readsEveryField() throws ConfigException {
        assertThat(read(limit("""
                host: catalog
                tokenBucket: {maxTokens: 100, tokensPerFill: 10, fillInterval: 1s}
                routes:
                - {pathPrefix: /search, tokenBucket: {maxTokens: 5, fillInterval: 250ms}}
                - {path: /health, tokenBucket: {maxTokens: 1000, tokensPerFill: 1000, fillInterval: 1s}}
                """)).localRateLimits()).containsExactly(new LocalRateLimit(
                new Meta("LocalRateLimit", "catalog", "shop", new Origin("test.yaml", 1)),
                "catalog.shop.svc.cluster.local",
                new TokenBucket(100, 10, Duration.ofSeconds(1)),
                List.of(new PathLimit(new StringMatch.Prefix("/search"), new TokenBucket(5, 1, Duration.ofMillis(250))),
                        new PathLimit(new StringMatch.Exact("/health"), new TokenBucket(1000, 1000, Duration.ofSeconds(1))))));
    }

    @Test
    void tokensPerFillDefaultsToOneAndRoutesToNone() throws ConfigException {
        LocalRateLimit limit = read(limit("""
                host: catalog.shop.svc.cluster.local
                tokenBucket: {maxTokens: 3, fillInterval: 50ms}
                """)).localRateLimits().get(0);
        assertThat(limit.tokenBucket()).isEqualTo(new TokenBucket(3, 1, Duration.ofMillis(50)));
        assertThat(limit.routes()).isEmpty();
    }

    @Test
    void theHostAndTheBucketAreRequired() {
        assertThat(problems(limit("{}"))).containsExactly(
                PREFIX + "spec.host: missing (expected: a host name such as catalog or api.example.com)",
                PREFIX + "spec.tokenBucket: missing (expected: an object with fields maxTokens, tokensPerFill, fillInterval)");
    }

    @Test
    void aBucketHoldsATokenAndFillsNoFasterThanEnvoyAllows() {
        assertThat(problems(limit("""
                host: catalog
                tokenBucket: {maxTokens: 0, tokensPerFill: 0, fillInterval: 10ms, burst: 3}
                """))).containsExactly(
                PREFIX + "spec.tokenBucket.burst: unknown field (expected: one of maxTokens, tokensPerFill, fillInterval)",
                PREFIX + "spec.tokenBucket.maxTokens: 0 (expected: 1..2147483647)",
                PREFIX + "spec.tokenBucket.tokensPerFill: 0 (expected: 1..2147483647)",
                PREFIX + "spec.tokenBucket.fillInterval: \"10ms\" (expected: " + FILL + ")");
        assertThat(problem(limit("host: catalog\ntokenBucket: {maxTokens: 1}")))
                .isEqualTo(PREFIX + "spec.tokenBucket.fillInterval: missing (expected: " + FILL + ")");
    }

    @Test
    void eachRouteNamesOnePathNotNamedBefore() {
        assertThat(problems(limit("""
                host: catalog
                tokenBucket: {maxTokens: 10, fillInterval: 1s}
                routes:
                - {path: /a, pathPrefix: /a, tokenBucket: {maxTokens: 1, fillInterval: 1s}}
                - {tokenBucket: {maxTokens: 1, fillInterval: 1s}}
                - {path: relative, tokenBucket: {maxTokens: 1, fillInterval: 1s}}
                - {pathPrefix: /b}
                - {pathPrefix: /c, tokenBucket: {maxTokens: 1, fillInterval: 1s}}
                - {pathPrefix: /c, tokenBucket: {maxTokens: 2, fillInterval: 1s}}
                """))).containsExactly(
                PREFIX + "spec.routes[0].pathPrefix: set with path (expected: exactly one of path, pathPrefix)",
                PREFIX + "spec.routes[1]: {\"tokenBucket\":{\"maxTokens\":1,\"fillInterval\":\"1s\"}} (expected: an object with"
                        + " exactly one of path, pathPrefix, and a tokenBucket)",
                PREFIX + "spec.routes[2].path: \"relative\" (expected: a path starting with /)",
                PREFIX + "spec.routes[3].tokenBucket: missing (expected: an object with fields maxTokens, tokensPerFill, fillInterval)",
                PREFIX + "spec.routes[5].pathPrefix: \"/c\" (expected: a path not given already by spec.routes[4].pathPrefix)");
    }

    @Test
    void oneLimitPerHost() {
        assertThat(problem(limit("host: catalog\ntokenBucket: {maxTokens: 1, fillInterval: 1s}") + "---\n" + limit("""
                host: catalog.shop.svc.cluster.local
                tokenBucket: {maxTokens: 2, fillInterval: 1s}
                """).replace("name: catalog,", "name: catalog-2,"))).isEqualTo(
                "test.yaml (document 2) LocalRateLimit shop/catalog-2: spec.host: \"catalog.shop.svc.cluster.local\" is already"
                        + " declared by LocalRateLimit shop/catalog in test.yaml (document 1) (expected: one LocalRateLimit per host)");
    }

    @Test
    void usersNameTheKindAsKubectlWould() {
        assertThat(KindNames.resolve("localratelimits")).contains("LocalRateLimit");
        assertThat(KindNames.resolve("LocalRateLimit")).contains("LocalRateLimit");
        assertThat(KindNames.plural("LocalRateLimit")).isEqualTo("localratelimits");
    }
}
