package dev.trellis.model;

import java.util.List;

/**
 * Configuration that cannot be used, with every problem found. Each problem names the file,
 * document, resource and field path, what was given and what was expected.
 */
public class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(problems.size() == 1
                ? problems.get(0)
                : problems.size() + " problems:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
