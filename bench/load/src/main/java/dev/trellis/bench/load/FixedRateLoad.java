package dev.trellis.bench.load;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The command: {@code java -jar load.jar --url http://127.0.0.1:8080/ --rate 1000}. Runs one
 * fixed-rate load (see {@link LoadOptions#USAGE}) and prints its result as the last line, for
 * bench/proxy/run to read. Exits 0 when the run happened, whatever it counted (errors are in the
 * line), 1 when it could not start, 2 on a bad command line.
 */
public final class FixedRateLoad {

    private FixedRateLoad() {
    }

    public static void main(String[] args) {
        List<String> arguments = Arrays.asList(args);
        if (arguments.contains("-h") || arguments.contains("--help")) {
            System.out.print(LoadOptions.USAGE);
            return;
        }
        LoadOptions options;
        try {
            options = LoadOptions.parse(arguments);
        } catch (IllegalArgumentException e) {
            System.err.println("load: " + e.getMessage());
            System.err.print(LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        System.out.printf(Locale.ROOT, "load: %d requests/s over %d connections to http://%s%s, %.1f s warm-up, %.1f s recorded%n",
                options.rate().perSecond(), options.connections(), options.authority(), options.path(),
                options.warmupNanos() / 1e9, options.durationNanos() / 1e9);
        Results results;
        try {
            results = OpenLoopClient.run(options);
        } catch (IOException | RuntimeException e) {
            System.err.println("load: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println(results.resultLine(options));
    }
}
