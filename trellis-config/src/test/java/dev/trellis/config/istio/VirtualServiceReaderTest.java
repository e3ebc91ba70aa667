package dev.trellis.config.istio;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.ConfigException;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.StringMatch;
import dev.trellis.model.WeightedDestination;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VirtualServiceReaderTest {
    private static final String PREFIX = "test.yaml (document 1) VirtualService default/catalog: ";

    /** A VirtualService for catalog whose {@code http} list is {@code http}, indented by 2. */
    private static String virtualService(String http) {
        return """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                """ + http.indent(2);
    }

    @Test
    void weightsOfSeveralDestinationsMustAddUpTo100() {
        assertThat(problem(virtualService("""
                - route:
                  - destination: {host: catalog, subset: v1}
                    weight: 90
                  - destination: {host: catalog, subset: v2}
                    weight: 20
                """))).isEqualTo(PREFIX + "spec.http[0].route: weights add up to 110 (expected: 100)");
    }

    @Test
    void aMissingWeightAmongSeveralCountsAsZero() {
        assertThat(problem(virtualService("""
                - route:
                  - destination: {host: catalog, subset: v1}
                    weight: 90
                  - destination: {host: catalog, subset: v2}
                """))).isEqualTo(PREFIX + "spec.http[0].route: weights add up to 90 (expected: 100)");
    }

    @Test
    void aSingleDestinationWithoutWeightTakesAllTraffic() throws ConfigException {
        HttpRoute route = read(virtualService("""
                - route:
                  - destination: {host: catalog}
                """)).virtualServices().get(0).http().get(0);

        assertThat(route.name()).isEqualTo("catalog.0");
        assertThat(route.matches()).isEmpty();
        assertThat(route.destinations()).extracting(WeightedDestination::weight).containsExactly(100);
    }

    @Test
    void aWeightMustBeAPercentage() {
        assertThat(problems(virtualService("""
                - route:
                  - destination: {host: catalog, subset: v1}
                    weight: -40
                  - destination: {host: catalog, subset: v2}
                    weight: 140
                """))).containsExactly(
                PREFIX + "spec.http[0].route[0].weight: -40 (expected: 0..100)",
                PREFIX + "spec.http[0].route[1].weight: 140 (expected: 0..100)");
    }

    /** What an unexpected field of an HTTP route should have been. */
    static final String HTTP_FIELDS = "one of name, match, route, headers, rewrite, timeout, retries, fault, mirror, "
            + "mirrorPercentage, mirrorPercent, mirrors";

    @Test
    void aFieldTrellisDoesNotImplementYetIsRejectedByName() {
        assertThat(problem(virtualService("""
                - redirect: {uri: /v2}
                  route:
                  - destination: {host: catalog}
                """))).isEqualTo(PREFIX + "spec.http[0].redirect: not implemented yet (expected: " + HTTP_FIELDS + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"redirect", "corsPolicy", "delegate", "directResponse"})
    void everyUnimplementedRouteFieldIsRejected(String field) {
        assertThat(problem(virtualService("""
                - FIELD: {}
                  route:
                  - destination: {host: catalog}
                """.replace("FIELD", field)))).isEqualTo(PREFIX + "spec.http[0]." + field
                + ": not implemented yet (expected: " + HTTP_FIELDS + ")");
    }

    @Test
    void unimplementedSpecAndMatchFieldsAreRejected() {
        assertThat(problems("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  gateways: [mesh]
                  tcp: []
                  http:
                  - match:
                    - queryParams: {q: {exact: "1"}}
                      port: 80
                    rewrite: {uriRegexRewrite: {match: a, rewrite: b}}
                    route:
                    - destination: {host: catalog}
                """)).containsExactly(
                PREFIX + "spec.gateways: not implemented yet (expected: one of hosts, http)",
                PREFIX + "spec.tcp: not implemented yet (expected: one of hosts, http)",
                PREFIX + "spec.http[0].match[0].queryParams: not implemented yet "
                        + "(expected: one of name, uri, method, authority, headers, ignoreUriCase)",
                PREFIX + "spec.http[0].match[0].port: not implemented yet "
                        + "(expected: one of name, uri, method, authority, headers, ignoreUriCase)",
                PREFIX + "spec.http[0].rewrite.uriRegexRewrite: not implemented yet (expected: one of uri, authority)");
    }

    @Test
    void aMistypedFieldIsRejectedNotIgnored() {
        assertThat(problems(virtualService("""
                - route:
                  - destination: {host: catalog, subset: v1}
                    weight: 90
                  - destination: {host: catalog, subset: v2}
                    weigth: 10
                """))).containsExactly(
                PREFIX + "spec.http[0].route[1].weigth: unknown field (expected: one of destination, weight, headers)",
                PREFIX + "spec.http[0].route: weights add up to 90 (expected: 100)");
    }

    @Test
    void aStringMatchHasExactlyOneKindAndAValidRegex() {
        assertThat(problems(virtualService("""
                - match:
                  - uri: {prefix: /a, exact: /a}
                    method: {}
                    authority: {regex: "catalog.(eu"}
                    headers: {x-a: {suffix: b}, "x b": {exact: c}}
                  route:
                  - destination: {host: catalog}
                """))).containsExactly(
                PREFIX + "spec.http[0].match[0].uri: {\"prefix\":\"/a\",\"exact\":\"/a\"} "
                        + "(expected: exactly one of exact, prefix, regex)",
                PREFIX + "spec.http[0].match[0].method: {} (expected: exactly one of exact, prefix, regex)",
                PREFIX + "spec.http[0].match[0].authority.regex: \"catalog.(eu\" "
                        + "(expected: a valid regular expression; Unclosed group near index 11)",
                PREFIX + "spec.http[0].match[0].headers.x-a.suffix: unknown field (expected: one of exact, prefix, regex)",
                PREFIX + "spec.http[0].match[0].headers[\"x b\"]: \"x b\" (expected: an HTTP header name)");
    }

    @Test
    void aRegexMustReadInRe2AsEnvoyAndGrpcRunIt() {
        assertThat(problems(virtualService("""
                - match:
                  - uri: {regex: "/items/(?!admin).*"}
                  route:
                  - destination: {host: catalog}
                """))).singleElement().asString()
                .startsWith(PREFIX + "spec.http[0].match[0].uri.regex: \"/items/(?!admin).*\" "
                        + "(expected: a regular expression in RE2 syntax, as Envoy and gRPC read it; ");
    }

    @Test
    void headerNamesAreLowerCasedForMatchesAndMutations() throws ConfigException {
        HttpRoute route = read(virtualService("""
                - match:
                  - headers: {X-Tenant: {prefix: eu-}}
                  headers:
                    request: {set: {X-Route: catalog}, remove: [X-Debug]}
                  route:
                  - destination: {host: catalog}
                """)).virtualServices().get(0).http().get(0);

        assertThat(route.matches().get(0).headers()).containsExactly(
                Map.entry("x-tenant", new StringMatch.Prefix("eu-")));
        assertThat(route.requestHeaders().set()).containsOnlyKeys("x-route");
        assertThat(route.requestHeaders().remove()).containsExactly("x-debug");
    }

    @Test
    void routeAndHostsAreRequired() {
        assertThat(problems("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  http:
                  - name: empty
                    route: []
                  - match: []
                """)).containsExactly(
                PREFIX + "spec.hosts: missing (expected: a non-empty list of host names)",
                PREFIX + "spec.http[0].route: [] (expected: a non-empty list of destinations)",
                PREFIX + "spec.http[1].route: missing (expected: a non-empty list of destinations)");
    }

    @Test
    void hostsAndDestinationsAreQualifiedInTheDocumentsNamespace() throws ConfigException {
        var vs = read("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog, namespace: shop}
                spec:
                  hosts: [catalog, Catalog.Example.COM]
                  http:
                  - route:
                    - destination: {host: reviews.books}
                      weight: 50
                    - destination: {host: ratings}
                      weight: 50
                """).virtualServices().get(0);

        assertThat(vs.hosts()).containsExactly("catalog.shop.svc.cluster.local", "catalog.example.com");
        assertThat(vs.http().get(0).destinations())
                .extracting(d -> d.destination().host())
                .containsExactly("reviews.books", "ratings.shop.svc.cluster.local");
    }

    @Test
    void wildcardHostsAreNotImplementedYet() {
        assertThat(problem(virtualService("""
                - route:
                  - destination: {host: catalog}
                """).replace("[catalog]", "[\"*.example.com\"]")))
                .isEqualTo(PREFIX + "spec.hosts[0]: \"*.example.com\" is not implemented yet "
                        + "(expected: a host name without wildcards)");
    }

    @Test
    void wrongTypesNameTheExpectedType() {
        assertThat(problems(virtualService("""
                - match:
                  - ignoreUriCase: "yes please"
                  route:
                  - destination: {host: catalog, port: {number: "80"}}
                    weight: 100.0
                    headers: {request: {set: [x-a]}}
                """))).containsExactly(
                PREFIX + "spec.http[0].match[0].ignoreUriCase: \"yes please\" (expected: true or false)",
                PREFIX + "spec.http[0].route[0].destination.port.number: \"80\" (expected: an integer in 1..65535)",
                PREFIX + "spec.http[0].route[0].weight: 100.0 (expected: an integer in 0..100)",
                PREFIX + "spec.http[0].route[0].headers.request.set: [\"x-a\"] "
                        + "(expected: a map of header names to values)");
    }
}
