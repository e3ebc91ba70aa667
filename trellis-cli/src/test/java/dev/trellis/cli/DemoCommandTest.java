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
    void shiftsTheSplitLiveThroughTheControlPlaneThenHidesAFailingReplicaWithEveryRequestServed() {
        Run run = demo("--duration", "8s");

        assertThat(run.exitCode()).as("%s", run).isZero();
        String out = run.out();
        assertThat(out).as("the routing applied through the API")
                .containsPattern("(?m)^  DestinationRule default/catalog created$")
                .containsPattern("(?m)^  VirtualService default/catalog created$")
                .containsPattern("(?m)^web reaches both registered instances: catalog-v1 and catalog-v2 answered ");
        assertThat(out).as("each phase's split applied live, and running in the client's sidecar")
                .containsPattern("(?m)^  phase 1, 90/10: applied before the load; web runs it from the start$")
                .containsPattern("(?m)^  phase 2, 50/50: VirtualService default/catalog configured at [\\d.]+s; web runs it from [\\d.]+s$")
                .containsPattern("(?m)^  phase 3, 0/100: VirtualService default/catalog configured at [\\d.]+s; web runs it from [\\d.]+s$")
                .containsPattern("(?m)^  phase 4, 0/100: catalog-v2-b starts answering 503 to half its requests at [\\d.]+s$");
        assertThat(out).as("one progress line a second").containsPattern("(?m)^ +1s +\\d+ ").containsPattern("(?m)^ +8s +\\d+ ");

        Row first = row(out, "1  90/10  [\\d.]+s-[\\d.]+s");
        Row second = row(out, "     from [\\d.]+s, once web ran 50/50");
        Row last = row(out, "     from [\\d.]+s, once web ran 0/100");
        assertThat(first.v1Share()).as("phase 1 follows 90/10").isCloseTo(90.0, within(8.0));
        assertThat(second.v1Share()).as("phase 2, once web runs 50/50").isCloseTo(50.0, within(15.0));
        assertThat(last.total()).as("requests sent in phase 3 once web runs 0/100").isPositive();
        assertThat(last.v1()).as("phase 3, once web runs 0/100: nothing to v1").isZero();
        assertThat(last.v2()).isEqualTo(last.total());
        assertThat(last.v2Share()).isEqualTo(100.0);
        long phases = row(out, "1  90/10  [\\d.]+s-[\\d.]+s").total() + row(out, "2  50/50  [\\d.]+s-[\\d.]+s").total()
                + row(out, "3  0/100  [\\d.]+s-[\\d.]+s").total() + row(out, "4  0/100  [\\d.]+s-[\\d.]+s").total();

        long total = number(out, "(?m)^Summary: (\\d+) requests in ");
        assertThat(total).as("at most 200/s for 8 s").isBetween(1L, 1_600L).isEqualTo(phases);
        assertThat(number(out, "(?m)^  catalog-v2-b +answered 503 to (\\d+) of the \\d+ requests it got")).as("the replica failed")
                .isPositive();
        assertThat(number(out, "(?m)^  web sidecar +\\d+ retries to v2, (\\d+) ejections by outlier detection")).isPositive();
        assertThat(number(out, "(?m)^  web sidecar +(\\d+) retries to v2")).isPositive();
        assertThat(out).containsPattern("(?m)^  callers saw +0 errors in \\d+ requests: success rate 100%$");
        assertThat(number(out, "(?m)^  catalog-v1 +(\\d+) ") + number(out, "(?m)^  catalog-v2 +(\\d+) ")).isEqualTo(total);
        assertThat(out).containsPattern("(?m)^  errors +0$")
                .containsPattern("(?m)^  success rate +100% ")
                .containsPattern("(?m)^  latency +p50 [\\d.]+ ms +p90 [\\d.]+ ms +p99 [\\d.]+ ms")
                .containsPattern("(?m)^  -> 200, served by catalog-v2$")
                .containsPattern(requestsTotal("canary", "v2") + "1$");
        assertThat(out).as("the registrations, from the API")
                .containsPattern("(?m)^  catalog\\.default\\.svc\\.cluster\\.local +127\\.0\\.0\\.1 +\\d+ +HTTP +version=v1 +catalog-v1\\.default~\\w+$")
                .containsPattern("(?m)^  catalog\\.default\\.svc\\.cluster\\.local +127\\.0\\.0\\.1 +\\d+ +HTTP +version=v2 +catalog-v2\\.default~\\w+$")
                .containsPattern("(?m)^  catalog\\.default\\.svc\\.cluster\\.local +127\\.0\\.0\\.1 +\\d+ +HTTP +version=v2 +catalog-v2-b\\.default~\\w+$");
        for (String proxy : new String[] {"catalog-v1", "catalog-v2", "catalog-v2-b", "web"}) {
            assertThat(out).as("%s SYNCED in proxy-status", proxy)
                    .containsPattern("(?m)^  " + proxy + "\\.default +" + proxy + "\\.default~\\w+ +SYNCED ");
        }
        Path dir = Path.of(group(out, "(?m)^Stopped: .*, (\\S+) removed\\.$"));
        assertThat(dir).as("temporary files removed at the end").doesNotExist();
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
                + "\\|catalog\\..*response_code=\"200\",response_flags=\"-\"} ";
    }

    /** One row of the phases table: requests, then catalog-v1's and catalog-v2's count and share, then errors. */
    private record Row(long total, long v1, double v1Share, long v2, double v2Share, long errors) {}

    /** The phases table's row whose label matches {@code label}; its errors must be 0. */
    private static Row row(String out, String label) {
        Matcher matcher = Pattern.compile("(?m)^  " + label
                + " +(\\d+) +(\\d+) +([\\d.]+)% +(\\d+) +([\\d.]+)% +(\\d+)$").matcher(out);
        assertThat(matcher.find()).as("a phase row %s in:%n%s", label, out).isTrue();
        Row row = new Row(Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2)), Double.parseDouble(matcher.group(3)),
                Long.parseLong(matcher.group(4)), Double.parseDouble(matcher.group(5)), Long.parseLong(matcher.group(6)));
        assertThat(row.errors()).as("errors in phase row %s", label).isZero();
        assertThat(row.v1() + row.v2()).as("requests in phase row %s", label).isEqualTo(row.total());
        return row;
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
