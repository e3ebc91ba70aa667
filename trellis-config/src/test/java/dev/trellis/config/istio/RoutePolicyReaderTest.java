package dev.trellis.config.istio;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.ConfigException;
import dev.trellis.model.HttpFault;
import dev.trellis.model.HttpRetry;
import dev.trellis.model.Mirror;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.RoutePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A VirtualService route's timeout, retries, fault and mirrors, read as Istio reads and validates them. */
class RoutePolicyReaderTest {
    private static final String PREFIX = "test.yaml (document 1) VirtualService default/catalog: spec.http[0].";
    private static final String DURATION = "a duration of 1ms or more, in whole milliseconds";

    /** A VirtualService for catalog with one route to it, which also has {@code fields}. */
    private static String route(String fields) {
        return """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - route: [{destination: {host: catalog}}]
                """ + fields.indent(4);
    }

    private static RoutePolicy policy(String fields) throws ConfigException {
        return read(route(fields)).virtualServices().get(0).http().get(0).policy();
    }

    private static RouteDestination host(String name) {
        return new RouteDestination(name + ".default.svc.cluster.local", Optional.empty(), OptionalInt.empty());
    }

    @Test
    void aRouteThatSaysNothingHasNoTimeoutIstiosDefaultRetriesNoFaultAndNoMirror() throws ConfigException {
        assertThat(policy("")).isEqualTo(RoutePolicy.DEFAULT);
        assertThat(RoutePolicy.DEFAULT.retries()).as("empty: Istio's default policy, not none").isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"1.5s, PT1.5S", "250ms, PT0.25S", "1h, PT1H", "0s, PT0S", "\"0\", PT0S"})
    void theTimeoutIsADurationAnd0sMeansNone(String text, Duration expected) throws ConfigException {
        assertThat(policy("timeout: " + text).timeout()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"500us|\"500us\"", "1.5ms|\"1.5ms\"", "10|10", "-1s|\"-1s\"", "\"5\"|\"5\""})
    void aTimeoutIs0sOrAtLeastOneWholeMillisecondAsIstioValidatesIt(String text, String given) {
        assertThat(problem(route("timeout: " + text)))
                .isEqualTo(PREFIX + "timeout: " + given + " (expected: 0s (none), or " + DURATION + ")");
    }

    @Test
    void readsEveryRetryField() throws ConfigException {
        assertThat(policy("""
                retries:
                  attempts: 3
                  perTryTimeout: 2s
                  retryOn: "gateway-error, connect-failure,503,retriable-4xx,429"
                  retryRemoteLocalities: true
                  retryIgnorePreviousHosts: false
                  backoff: 100ms
                """).retries()).contains(new HttpRetry(3, Optional.of(Duration.ofSeconds(2)),
                Optional.of(new HttpRetry.RetryOn(List.of("gateway-error", "connect-failure", "retriable-4xx"), List.of(503, 429))),
                Optional.of(false), true, Optional.of(Duration.ofMillis(100))));
    }

    @Test
    void aRetriesBlockLeavesUnsaidFieldsToTheDefault() throws ConfigException {
        assertThat(policy("retries: {attempts: 5}").retries()).contains(
                new HttpRetry(5, Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty()));
    }

    @Test
    void everyConditionEnvoyRetriesOnIsAccepted() throws ConfigException {
        String all = String.join(",", RetriesReader.CONDITIONS);
        assertThat(policy("retries: {attempts: 1, retryOn: \"" + all + "\"}").retries().orElseThrow().retryOn().orElseThrow()
                .conditions()).containsExactlyElementsOf(RetriesReader.CONDITIONS);
    }

    @Test
    void attempts0TurnsRetriesOff() throws ConfigException {
        assertThat(policy("retries: {attempts: 0}").retries()).contains(HttpRetry.DISABLED);
        assertThat(policy("retries: {}").retries()).as("attempts left out is 0, as in Istio").contains(HttpRetry.DISABLED);
    }

    @Test
    void aPolicyWithRetriesTurnedOffIsRejectedAsInIstio() {
        assertThat(problem(route("retries: {attempts: 0, perTryTimeout: 1s, retryOn: 5xx}"))).isEqualTo(PREFIX
                + "retries.attempts: 0 (expected: 1 or more, since perTryTimeout, retryOn are set; 0 turns retries off)");
        assertThat(problem(route("retries: {retryOn: 5xx}"))).isEqualTo(PREFIX
                + "retries.attempts: missing (expected: 1 or more, since retryOn is set; 0 turns retries off)");
    }

    @Test
    void anUnknownRetryConditionIsNamed() {
        String expected = "(expected: a comma-separated list of " + String.join(", ", RetriesReader.CONDITIONS)
                + " and HTTP statuses such as 503)";
        assertThat(problems(route("retries: {attempts: 2, retryOn: \"5xx,bogus,reset-before-request,600,\"}"))).containsExactly(
                PREFIX + "retries.retryOn: \"bogus\" " + expected,
                PREFIX + "retries.retryOn: \"reset-before-request\" is not implemented yet " + expected,
                PREFIX + "retries.retryOn: \"600\" " + expected,
                PREFIX + "retries.retryOn: \"\" " + expected);
    }

    @Test
    void retryValuesAreChecked() {
        assertThat(problems(route("""
                retries:
                  attempts: -1
                  perTryTimeout: 0s
                  backoff: 0.5ms
                  retryRemoteLocalities: "yes"
                  retryIgnorePreviousHosts: 1
                  retries: 3
                """))).containsExactly(
                PREFIX + "retries.retries: unknown field (expected: one of attempts, perTryTimeout, retryOn, "
                        + "retryRemoteLocalities, retryIgnorePreviousHosts, backoff)",
                PREFIX + "retries.attempts: -1 (expected: 0..2147483647)",
                PREFIX + "retries.perTryTimeout: \"0s\" (expected: " + DURATION + ")",
                PREFIX + "retries.retryRemoteLocalities: \"yes\" (expected: true or false)",
                PREFIX + "retries.retryIgnorePreviousHosts: 1 (expected: true or false)",
                PREFIX + "retries.backoff: \"0.5ms\" (expected: " + DURATION + ")");
    }

    @Test
    void readsAFaultsDelayAndAbortWithTheirShares() throws ConfigException {
        assertThat(policy("""
                fault:
                  delay: {fixedDelay: 5s, percentage: {value: 12.5}}
                  abort: {httpStatus: 503, percentage: {value: 50}}
                """).fault()).contains(new HttpFault(
                Optional.of(new HttpFault.Delay(Duration.ofSeconds(5), 12.5)),
                Optional.of(new HttpFault.Abort.Http(503, 50))));
    }

    @ParameterizedTest
    @CsvSource({"OK, 0", "CANCELLED, 1", "DEADLINE_EXCEEDED, 4", "RESOURCE_EXHAUSTED, 8", "UNAVAILABLE, 14", "UNAUTHENTICATED, 16"})
    void aGrpcAbortNamesItsStatusAsIstioDoes(String name, int code) throws ConfigException {
        assertThat(policy("fault: {abort: {grpcStatus: " + name + ", percentage: {value: 100}}}").fault())
                .contains(new HttpFault(Optional.empty(), Optional.of(new HttpFault.Abort.Grpc(code, 100))));
    }

    @Test
    void theOlderWholePercentOfADelayIsRead() throws ConfigException {
        assertThat(policy("fault: {delay: {fixedDelay: 1s, percent: 30}}").fault().orElseThrow().delay())
                .contains(new HttpFault.Delay(Duration.ofSeconds(1), 30));
    }

    @Test
    void aDelayOrAbortWithoutAShareAppliesToNoRequestAsInIstio() throws ConfigException {
        HttpFault fault = policy("fault: {delay: {fixedDelay: 1s}, abort: {httpStatus: 500}}").fault().orElseThrow();
        assertThat(fault.delay().orElseThrow().percent()).isZero();
        assertThat(fault.abort().orElseThrow().percent()).isZero();
    }

    @Test
    void faultProblemsAreNamed() {
        assertThat(problem(route("fault: {}"))).isEqualTo(PREFIX + "fault: {} (expected: an object with a delay, an abort or both)");
        assertThat(problems(route("""
                fault:
                  delay: {percentage: {value: 150}, exponentialDelay: 1s}
                  abort: {httpStatus: 99, grpcStatus: UNAVAILABLE}
                """))).containsExactly(
                PREFIX + "fault.delay.exponentialDelay: not implemented yet (expected: one of fixedDelay, percentage, percent)",
                PREFIX + "fault.delay.fixedDelay: missing (expected: " + DURATION + ")",
                PREFIX + "fault.delay.percentage.value: 150 (expected: 0..100)",
                PREFIX + "fault.abort: {\"httpStatus\":99,\"grpcStatus\":\"UNAVAILABLE\"} (expected: exactly one of httpStatus, grpcStatus)");
        assertThat(problems(route("""
                fault:
                  delay: {fixedDelay: 2s, percent: 10, percentage: {value: 0.00001}}
                  abort: {grpcStatus: Unavailable}
                """))).containsExactly(
                PREFIX + "fault.delay.percent: set with percentage (expected: one of percentage, percent)",
                PREFIX + "fault.abort.grpcStatus: \"Unavailable\" (expected: one of OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, "
                        + "DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, "
                        + "FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED)");
        assertThat(problems(route("""
                fault:
                  delay: {fixedDelay: 2s, percentage: {value: 0.00001}}
                  abort: {percentage: {value: 10}}
                """))).containsExactly(
                PREFIX + "fault.delay.percentage.value: 1.0E-5 (expected: 0, or a percentage of 0.0001..100)",
                PREFIX + "fault.abort: {\"percentage\":{\"value\":10}} (expected: an object with exactly one of httpStatus, grpcStatus)");
        assertThat(problem(route("fault: {abort: {http2Error: REFUSED_STREAM}}"))).isEqualTo(PREFIX
                + "fault.abort.http2Error: not implemented yet (expected: one of httpStatus, grpcStatus, percentage)");
    }

    @Test
    void aMirrorCopiesEveryRequestUnlessItsShareSaysOtherwise() throws ConfigException {
        assertThat(policy("mirror: {host: shadow}").mirrors()).containsExactly(new Mirror(host("shadow"), 100));
        assertThat(policy("mirror: {host: shadow}\nmirrorPercentage: {value: 5.5}").mirrors())
                .containsExactly(new Mirror(host("shadow"), 5.5));
        assertThat(policy("mirror: {host: shadow}\nmirrorPercent: 20").mirrors())
                .as("the older whole percentage").containsExactly(new Mirror(host("shadow"), 20));
    }

    @Test
    void mirrorsEachHaveTheirShare() throws ConfigException {
        assertThat(policy("""
                mirrors:
                - destination: {host: shadow, subset: v2, port: {number: 8080}}
                  percentage: {value: 25}
                - destination: {host: audit}
                """).mirrors()).containsExactly(
                new Mirror(new RouteDestination("shadow.default.svc.cluster.local", Optional.of("v2"), OptionalInt.of(8080)), 25),
                new Mirror(host("audit"), 100));
    }

    @Test
    void mirrorProblemsAreNamed() {
        assertThat(problem(route("mirror: {host: shadow}\nmirrors: [{destination: {host: audit}}]")))
                .isEqualTo(PREFIX + "mirrors: set with mirror (expected: either mirror, or mirrors)");
        assertThat(problem(route("mirrorPercentage: {value: 5}"))).isEqualTo(PREFIX + "mirrorPercentage: set without mirror "
                + "(expected: a mirror whose share of requests it gives; each of mirrors has its own percentage)");
        assertThat(problem(route("mirror: {host: shadow}\nmirrorPercentage: {value: 5}\nmirrorPercent: 5")))
                .isEqualTo(PREFIX + "mirrorPercent: set with mirrorPercentage (expected: one of mirrorPercentage, mirrorPercent)");
        assertThat(problems(route("""
                mirrors:
                - percentage: {value: 101}
                - destination: {host: Bad_Host}
                  weight: 3
                """))).containsExactly(
                PREFIX + "mirrors[0].destination: missing (expected: an object with fields host, subset, port)",
                PREFIX + "mirrors[0].percentage.value: 101 (expected: 0..100)",
                PREFIX + "mirrors[1].weight: unknown field (expected: one of destination, percentage)",
                PREFIX + "mirrors[1].destination.host: \"Bad_Host\" (expected: a host name such as catalog or api.example.com)");
    }
}
