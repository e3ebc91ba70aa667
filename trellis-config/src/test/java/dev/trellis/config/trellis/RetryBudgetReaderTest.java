package dev.trellis.config.trellis;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.config.KindNames;
import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.RetryBudget;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryBudgetReaderTest {
    private static final String PREFIX = "test.yaml (document 1) RetryBudget shop/catalog: ";

    /** A RetryBudget named catalog in namespace shop with {@code spec}, indented by 2. */
    private static String budget(String spec) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: RetryBudget
                metadata: {name: catalog, namespace: shop}
                spec:
                """ + spec.indent(2);
    }

    private static RetryBudget readBudget(String spec) throws ConfigException {
        return read(budget(spec)).retryBudgets().get(0);
    }

    @Test
    void readsEveryFieldAndQualifiesTheHost() throws ConfigException {
        RetryBudget budget = readBudget("{host: catalog, retryRatio: 0.5, minRetriesPerSecond: 3, ttl: 30s}");
        assertThat(budget.host()).isEqualTo("catalog.shop.svc.cluster.local");
        assertThat(budget.retryRatio()).isEqualTo(0.5);
        assertThat(budget.minRetriesPerSecond()).isEqualTo(3);
        assertThat(budget.ttl()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void takesLinkerdsDefaults() throws ConfigException {
        RetryBudget budget = readBudget("{host: catalog}");
        assertThat(budget.retryRatio()).isEqualTo(0.2);
        assertThat(budget.minRetriesPerSecond()).isEqualTo(10);
        assertThat(budget.ttl()).isEqualTo(Duration.ofSeconds(10));
        MeshConfig mesh = read(budget("{host: catalog}"));
        assertThat(mesh.retryBudget("catalog.shop.svc.cluster.local")).contains(budget);
        assertThat(mesh.retryBudget("catalog.default.svc.cluster.local")).isEmpty();
    }

    @Test
    void fieldsStayWithinFinaglesBounds() {
        assertThat(problems(budget("{retryRatio: 1000.5, minRetriesPerSecond: -1, ttl: 61s}"))).containsExactly(
                PREFIX + "spec.host: missing (expected: a host name such as catalog or api.example.com)",
                PREFIX + "spec.retryRatio: 1000.5 (expected: 0..1000)",
                PREFIX + "spec.minRetriesPerSecond: -1 (expected: 0..2147483647)",
                PREFIX + "spec.ttl: \"61s\" (expected: a duration from 1s to 60s)");
        assertThat(problem(budget("{host: catalog, ttl: 999ms}"))).isEqualTo(PREFIX + "spec.ttl: \"999ms\" (expected: a duration from 1s to 60s)");
        assertThat(problem(budget("{host: catalog, retryRatio: lots}")))
                .isEqualTo(PREFIX + "spec.retryRatio: \"lots\" (expected: a number in 0..1000)");
        assertThat(problem(budget("{host: catalog, percent: 20}")))
                .isEqualTo(PREFIX + "spec.percent: unknown field (expected: one of host, retryRatio, minRetriesPerSecond, ttl)");
    }

    @Test
    void aHostHasOneRetryBudgetOfOneKind() {
        assertThat(problems(budget("{host: catalog}") + "---\n" + budget("{host: catalog}").replace("name: catalog", "name: again")
                + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog, namespace: shop}
                spec:
                  host: catalog
                  subsets: [{name: v1, labels: {version: v1}, trafficPolicy: {retryBudget: {percent: 10}}}]
                """)).containsExactly(
                "test.yaml (document 2) RetryBudget shop/again: spec.host: \"catalog.shop.svc.cluster.local\" is already declared by "
                        + "RetryBudget shop/catalog in test.yaml (document 1) (expected: one RetryBudget per host)",
                "test.yaml (document 1) RetryBudget shop/catalog: spec.host: \"catalog.shop.svc.cluster.local\" has a retry budget "
                        + "already, from DestinationRule shop/catalog in test.yaml (document 3) (spec.subsets[0].trafficPolicy.retryBudget)"
                        + " (expected: one retry budget per host: this RetryBudget, or the DestinationRule's retryBudget)");
    }

    @Test
    void isAKindUsersMayNameAsTheyNameOthers() {
        assertThat(KindNames.resolve("retrybudgets")).isEqualTo(Optional.of("RetryBudget"));
        assertThat(KindNames.resolve("RetryBudget")).isEqualTo(Optional.of("RetryBudget"));
        assertThat(KindNames.plural("RetryBudget")).isEqualTo("retrybudgets");
    }
}
