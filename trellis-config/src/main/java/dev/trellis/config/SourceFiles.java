package dev.trellis.config;

import dev.trellis.config.internal.Problems;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Finds and reads the files named on a command line: files, and directories of YAML files. */
final class SourceFiles {
    /** One file's text, and the name messages call it by. */
    record Source(String name, String text) {}

    private SourceFiles() {}

    /**
     * Hands the files of {@code paths} to {@code reader}, in order; a directory stands for its
     * {@code *.yaml} and {@code *.yml} files sorted by name (not its subdirectories), so the order
     * is the same on every machine. Missing or unreadable files go to {@code problems}, in turn,
     * so problems come in the order of the files.
     */
    static void forEach(List<Path> paths, Problems problems, Consumer<Source> reader) {
        for (Path path : paths) {
            for (Path file : files(path, problems)) {
                try {
                    reader.accept(new Source(file.toString(), Files.readString(file, StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    problems.in(file.toString()).add("", "cannot read (" + e + ")");
                }
            }
        }
    }

    private static List<Path> files(Path path, Problems problems) {
        if (!Files.exists(path)) {
            problems.in(path.toString()).add("", "no such file or directory (expected: a YAML file, or a directory of *.yaml and *.yml files)");
            return List.of();
        }
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        try (Stream<Path> entries = Files.list(path)) {
            return entries.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".yaml") || p.getFileName().toString().endsWith(".yml"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            problems.in(path.toString()).add("", "cannot list directory (" + e + ")");
            return List.of();
        }
    }
}
