package dev.trellis.config.internal;

import dev.trellis.model.Meta;
import java.util.Optional;

/** Reads the {@code spec} of one kind of document into a model record. */
@FunctionalInterface
public interface SpecReader {
    /**
     * Reports every problem of {@code spec} to it. The result is empty when the spec cannot be
     * read at all; when problems were reported, the caller discards the result.
     */
    Optional<? extends Record> read(Meta meta, Node spec);
}
