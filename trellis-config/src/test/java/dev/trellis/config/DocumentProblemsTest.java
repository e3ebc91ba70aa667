package dev.trellis.config;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Problems with a document as a whole: its YAML, its apiVersion and kind, its metadata. */
class DocumentProblemsTest {
    private static final String EXPECTED_VERSIONS = "one of networking.istio.io/v1, networking.istio.io/v1beta1, "
            + "networking.istio.io/v1alpha3, trellis.dev/v1alpha1";

    @Test
    void aSyntaxErrorNamesFileDocumentLineAndColumn() {
        assertThat(problem(ConfigLoaderTest.rule("catalog") + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: orders}
                spec:
                  host: orders
                    subsets: []
                """)).isEqualTo("test.yaml (document 2): line 12, column 12: invalid YAML: mapping values are not allowed here");
    }

    @Test
    void aRepeatedKeyIsAnErrorNotALastOneWins() {
        assertThat(problem("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  host: orders
                """)).isEqualTo("test.yaml (document 1): line 6, column 7: invalid YAML: Duplicate field 'host'");
    }

    @Test
    void yamlAliasesAreRejectedRatherThanReadAsTheirName() {
        assertThat(problem("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: &name catalog}
                spec:
                  host: *name
                """)).isEqualTo("test.yaml (document 1): line 5, column 9: invalid YAML: "
                + "alias *name is not supported; write the value out");
    }

    @Test
    void anUnknownApiVersionListsTheSupportedOnes() {
        assertThat(problem(ConfigLoaderTest.rule("catalog").replace("networking.istio.io/v1", "networking.istio.io/v2")))
                .isEqualTo("test.yaml (document 1) DestinationRule default/catalog: apiVersion: "
                        + "\"networking.istio.io/v2\" (expected: " + EXPECTED_VERSIONS + ")");
    }

    @Test
    void anUnknownKindListsTheKindsOfItsApiVersion() {
        assertThat(problem("""
                apiVersion: trellis.dev/v1alpha1
                kind: VirtualService
                metadata: {name: catalog}
                spec: {}
                """)).isEqualTo("test.yaml (document 1) VirtualService default/catalog: kind: \"VirtualService\" "
                + "(expected: one of Proxy, LocalRateLimit, RetryBudget with apiVersion trellis.dev/v1alpha1)");
    }

    @Test
    void anIstioKindTrellisDoesNotReadYetIsSaidToBeNotImplemented() {
        assertThat(problem("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: ingress, namespace: edge}
                spec: {}
                """)).isEqualTo("test.yaml (document 1) Gateway edge/ingress: kind: \"Gateway\" is not implemented yet "
                + "(expected: one of ServiceEntry, VirtualService, DestinationRule with apiVersion networking.istio.io/v1)");
    }

    @Test
    void aDocumentMustBeAnObjectWithApiVersionKindMetadataAndSpec() {
        assertThat(problems("""
                - apiVersion: networking.istio.io/v1
                ---
                kind: DestinationRule
                spec: {host: catalog}
                status: {}
                """)).containsExactly(
                "test.yaml (document 1): [{\"apiVersion\":\"networking.istio.io/v1\"}] "
                        + "(expected: an object with fields apiVersion, kind, metadata, spec)",
                "test.yaml (document 2): status: unknown field (expected: one of apiVersion, kind, metadata, spec)",
                "test.yaml (document 2): apiVersion: missing (expected: " + EXPECTED_VERSIONS + ")",
                "test.yaml (document 2): metadata.name: missing (expected: a DNS name: lower-case letters, digits, "
                        + "'-' and '.', at most 253 characters)");
    }

    @Test
    void metadataNamesMustBeKubernetesNamesAndOtherMetadataIsIgnored() {
        assertThat(problems("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: Catalog_Rule
                  namespace: shop.eu
                  uid: 6f1c
                  resourceVersion: "42"
                spec: {host: catalog}
                """)).containsExactly(
                "test.yaml (document 1) DestinationRule shop.eu/Catalog_Rule: metadata.name: \"Catalog_Rule\" "
                        + "(expected: a DNS name: lower-case letters, digits, '-' and '.', at most 253 characters)",
                "test.yaml (document 1) DestinationRule shop.eu/Catalog_Rule: metadata.namespace: \"shop.eu\" "
                        + "(expected: a DNS label: lower-case letters, digits and '-', at most 63 characters)");
    }

    @Test
    void theSpecIsCheckedEvenWhenTheNameIsWrong() {
        assertThat(problems(ConfigLoaderTest.rule("catalog").replace("{name: catalog}", "{name: 7}")
                        .replace("host: catalog", "host: catalog\n  exportTo: [\".\"]")))
                .containsExactly(
                        "test.yaml (document 1): metadata.name: 7 (expected: a DNS name: lower-case letters, digits, "
                                + "'-' and '.', at most 253 characters)",
                        "test.yaml (document 1): spec.exportTo: not implemented yet (expected: one of host, "
                                + "trafficPolicy, subsets)");
    }
}
