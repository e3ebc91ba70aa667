package dev.trellis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.cli.client.ApiClient;
import dev.trellis.cli.client.ApiOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code trellis apply}: sends documents to the control plane, which applies them all or none. */
@Command(
        name = "apply",
        mixinStandardHelpOptions = true,
        description = {
            "Applies YAML or JSON documents to the control plane: every document of every file, or none of them.",
            "A rejected apply changes nothing and lists every problem with its file, document and field."
        })
final class ApplyCommand implements Callable<Integer> {
    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR|-",
            description = "A file, a directory of *.yaml, *.yml and *.json files, or - for standard input. Repeatable.")
    List<String> files;

    @Option(names = "--dry-run", description = "Check and show what would change, and change nothing.")
    boolean dryRun;

    @Mixin
    ApiOption api;

    @Override
    public Integer call() {
        List<ApiClient.Source> sources = new ArrayList<>();
        for (String file : files) {
            try {
                sources.addAll(read(file));
            } catch (IOException e) {
                System.err.println("trellis apply: " + file + ": cannot read (" + e.getMessage() + ")");
                return 1;
            }
        }
        if (sources.isEmpty()) {
            System.err.println("trellis apply: no files to apply in " + files + " (expected: *.yaml, *.yml or *.json)");
            return 1;
        }
        try {
            JsonNode outcome = api.client().apply(sources, dryRun);
            ApiOutput.changes(outcome, dryRun);
            return 0;
        } catch (ApiClient.ApiException e) {
            return ApiOutput.failure("apply", e);
        }
    }

    static List<ApiClient.Source> read(String file) throws IOException {
        if (file.equals("-")) {
            return List.of(new ApiClient.Source("stdin", new String(System.in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        Path path = Path.of(file);
        if (!Files.exists(path)) {
            throw new IOException("no such file or directory");
        }
        if (!Files.isDirectory(path)) {
            return List.of(new ApiClient.Source(file, Files.readString(path, StandardCharsets.UTF_8)));
        }
        List<ApiClient.Source> sources = new ArrayList<>();
        try (Stream<Path> entries = Files.list(path)) {
            for (Path entry : entries.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().matches(".*\\.(yaml|yml|json)"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList()) {
                sources.add(new ApiClient.Source(entry.toString(), Files.readString(entry, StandardCharsets.UTF_8)));
            }
        }
        return sources;
    }
}
