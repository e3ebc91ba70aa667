package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code trellis demo} run as a user runs it, judged by what it prints. */
class DemoCommandTest {

    /** What one run of the command printed, and its exit code. */
    private record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit code " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private static Run demo(String... options) {
        CommandLine command = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        String[] args = new String[options.length + 1];
        args[0] = "demo";
        System.arraycopy(options, 0, args, 1, options.length);
        int exitCode = command.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void showsTheNinetyTenSplitWithEveryRequestServed() {
        Run run = demo("--duration", "3s");

        assertThat(run.exitCode()).as("%s", run).isZero();
        String out = run.out();
        assertThat(out).as("one progress line a second").containsPattern("(?m)^ +1s +\\d+ ")
                .containsPattern("(?m)^ +2s +\\d+ ").containsPattern("(?m)^ +3s +\\d+ ");
        long total = number(out, "(?m)^Summary: (\\d+) requests in ");
        assertThat(total).as("at most 200/s for 3 s").isBetween(1L, 600L);
        long v1 = number(out, "(?m)^  catalog-v1 +(\\d+) ");
        long v2 = number(out, "(?m)^  catalog-v2 +(\\d+) ");
        assertThat(v1 + v2).isEqualTo(total);
        assertThat(share(out, "catalog-v1")).isCloseTo(100.0 * v1 / total, within(0.051)).isCloseTo(90.0, within(6.0));
        assertThat(share(out, "catalog-v2")).isCloseTo(10.0, within(6.0));
        assertThat(out).containsPattern("(?m)^  errors +0$")
                .containsPattern("(?m)^  success rate +100% ")
                .containsPattern("(?m)^  latency +p50 [\\d.]+ ms +p90 [\\d.]+ ms +p99 [\\d.]+ ms")
                .containsPattern("(?m)^  -> 200, served by catalog-v2$")
                .containsPattern(requestsTotal("split", "v1") + v1 + "$")
                .containsPattern(requestsTotal("canary", "v2") + "1$");
        Path configDir = Path.of(group(out, "(?m)^Stopped: .*, (\\S+) removed\\.$"));
        assertThat(configDir).as("config files removed at the end").doesNotExist();
        assertThat(run.err()).isEmpty();
    }

    @Test
    void rejectsBadOptionsSayingWhatWasGivenAndWhatWasExpected() {
        assertRejected(demo("--duration", "10x"),
                "--duration: '10x' (expected: a duration such as 30s, 2m or 1m30s, or plain seconds)");
        assertRejected(demo("--duration", "0"), "--duration: 0 (expected: 1s to 24h)");
        assertRejected(demo("--duration", "25h"), "--duration: 25h (expected: 1s to 24h)");
        assertRejected(demo("--rate", "0"), "--rate: 0 (expected: 1..50000 requests per second)");
        assertRejected(demo("--connections", "-1"), "--connections: -1 (expected: 1..1000 connections)");
        assertRejected(demo("--rate", "fast"), "'fast' is not an int");
    }

    private static void assertRejected(Run run, String message) {
        assertThat(run.exitCode()).as("%s", run).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err()).contains(message).contains("Usage: trellis demo");
        assertThat(run.out()).isEmpty();
    }

    /** The client sidecar's istio_requests_total line for 200s on a route to a subset, up to its value. */
    private static String requestsTotal(String route, String subset) {
        return "(?m)^  istio_requests_total\\{.*route_name=\"" + route + "\",upstream_cluster=\"outbound\\|80\\|" + subset
                + "\\|catalog\\..*response_code=\"200\"} ";
    }

    private static double share(String out, String server) {
        return Double.parseDouble(group(out, "(?m)^  " + Pattern.quote(server) + " +\\d+ +([\\d.]+)%$"));
    }

    private static long number(String out, String regex) {
        return Long.parseLong(group(out, regex));
    }

    private static String group(String out, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(out);
        assertThat(matcher.find()).as("output matches %s:%n%s", regex, out).isTrue();
        return matcher.group(1);
    }
}
