package dev.trellis.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.bench.load.ScriptedServer.Act;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The client against a local server that misbehaves on cue: a stall counts against every request
 * it holds back, and every request is sent once and ends answered or counted as failed.
 */
class OpenLoopClientTest {
    private static final long MILLIS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void aStallCountsAgainstEveryRequestDueWhileItLasts() throws Exception {
        // 1,000 requests/s for 0.25 s of warm-up and 1 s recorded; the server's only thread stops for
        // 200 ms at its 600th request, well inside the recorded second.
        try (ScriptedServer server = new ScriptedServer(Map.of(600, new Act.Stall(200)))) {
            Results results = OpenLoopClient.run(options(server, 1000, 4, "0.25", "1", "5"));

            assertThat(results.scheduled()).isEqualTo(1000);
            assertThat(results.answered()).isEqualTo(1000);
            assertThat(results.non200() + results.failed()).isZero();
            assertThat(server.received()).isEqualTo(1250);
            // Every request meant to start in the stall's first 100 ms was answered only after it
            // ended, so at least 100 ms after its intended start: about 100 of them. Timed from when
            // they went out instead, only the four in flight when it began would be that late.
            Histogram latencies = results.latencies();
            long late = latencies.getCountBetweenValues(100 * MILLIS, Math.max(100 * MILLIS, latencies.getMaxValue()));
            assertThat(late).isGreaterThanOrEqualTo(90);
            assertThat(latencies.getValueAtPercentile(99)).isGreaterThanOrEqualTo(100 * MILLIS);
            assertThat(latencies.getValueAtPercentile(99.9)).isGreaterThanOrEqualTo(150 * MILLIS);
        }
    }

    @Test
    void everyRequestIsSentOnceAndEachOneNotAnsweredOkIsAnError() throws Exception {
        // 0.1 s of warm-up (100 requests), then 500 recorded, of which the server answers one with
        // 503, drops the connection under another and never answers a third, which times out.
        Map<Integer, Act> acts = Map.of(250, new Act.Status(503), 350, new Act.Close(), 450, new Act.Ignore());
        try (ScriptedServer server = new ScriptedServer(acts)) {
            Results results = OpenLoopClient.run(options(server, 1000, 4, "0.1", "0.5", "0.3"));

            assertThat(results.scheduled()).isEqualTo(500);
            assertThat(results.non200()).isEqualTo(1);
            assertThat(results.failed()).isEqualTo(2);
            assertThat(results.answered()).isEqualTo(498);
            assertThat(results.latencies().getTotalCount()).isEqualTo(498);
            assertThat(results.warmupAnswered()).isEqualTo(100);
            assertThat(results.warmupErrors()).isZero();
            // Nothing sent again: the server saw each of the 600 requests of the schedule once, the
            // two that failed included.
            assertThat(server.received()).isEqualTo(600);
        }
    }

    private static LoadOptions options(ScriptedServer server, int rate, int connections, String warmup,
                                       String duration, String timeout) {
        return LoadOptions.parse(List.of("--url", "http://127.0.0.1:" + server.port() + "/", "--rate", String.valueOf(rate),
                "--connections", String.valueOf(connections), "--warmup", warmup, "--duration", duration,
                "--timeout", timeout));
    }
}
