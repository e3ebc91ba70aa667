package dev.trellis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.cli.client.ApiClient;

/** What the commands that talk to the control plane print: the changes made, or one line of failure and the problems. */
final class ApiOutput {
    private ApiOutput() {}

    /** {@code VirtualService default/catalog configured}, one line per change. */
    static void changes(JsonNode outcome, boolean dryRun) {
        for (JsonNode change : outcome.path("changes")) {
            System.out.println(change.path("kind").asText() + " " + change.path("namespace").asText() + "/"
                    + change.path("name").asText() + " " + change.path("action").asText() + (dryRun ? " (dry run)" : ""));
        }
    }

    /** Prints {@code trellis COMMAND: error} and each problem indented; returns the exit code, 1. */
    static int failure(String command, ApiClient.ApiException e) {
        if (e.problems().isEmpty()) {
            System.err.println("trellis " + command + ": " + e.getMessage());
        } else {
            System.err.println("trellis " + command + ": " + e.getMessage() + ":");
            e.problems().forEach(p -> System.err.println("  " + p));
        }
        return 1;
    }
}
