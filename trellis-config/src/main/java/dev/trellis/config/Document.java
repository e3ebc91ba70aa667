package dev.trellis.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.model.Meta;
import java.util.Objects;

/**
 * One document, read and checked on its own: its identity, its text as a tree (what a control
 * plane stores and gives back), and the model record it reads as.
 */
public record Document(Meta meta, JsonNode source, Record resource) {
    public Document {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(resource, "resource");
    }
}
