package dev.trellis.config;

import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import java.util.List;

/** Test helpers: read YAML text as the file {@code test.yaml}. */
public final class Documents {
    public static final String FILE = "test.yaml";

    private Documents() {}

    public static MeshConfig read(String yaml) throws ConfigException {
        return ConfigLoader.parse(FILE, yaml);
    }

    /** The problems reading {@code yaml} must produce. */
    public static List<String> problems(String yaml) {
        return assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> read(yaml))
                .actual()
                .problems();
    }

    /** The only problem reading {@code yaml} must produce. */
    public static String problem(String yaml) {
        List<String> problems = problems(yaml);
        if (problems.size() != 1) {
            throw new AssertionError("expected one problem, got " + problems);
        }
        return problems.get(0);
    }
}
