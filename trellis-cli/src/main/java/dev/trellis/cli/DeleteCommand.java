package dev.trellis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.cli.client.ApiClient;
import dev.trellis.cli.client.ApiOption;
import dev.trellis.config.KindNames;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code trellis delete}: removes one resource from the control plane. */
@Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes one resource applied to the control plane.")
final class DeleteCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KIND", description = "serviceentry (se), virtualservice (vs), destinationrule (dr) or proxy.")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "default",
            description = "The namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--dry-run", description = "Check and show what would change, and change nothing.")
    boolean dryRun;

    @Mixin
    ApiOption api;

    @Override
    public Integer call() {
        Optional<String> resolved = KindNames.resolve(kind);
        if (resolved.isEmpty()) {
            System.err.println("trellis delete: no kind " + kind + " (expected one of: " + String.join(", ", KindNames.kinds()) + ")");
            return 2;
        }
        try {
            JsonNode outcome = api.client().delete("/api/v1/" + KindNames.plural(resolved.get()) + "/" + namespace + "/" + name, dryRun);
            ApiOutput.changes(outcome, dryRun);
            return 0;
        } catch (ApiClient.ApiException e) {
            return ApiOutput.failure("delete", e);
        }
    }
}
