package dev.trellis.model;

import java.util.Objects;

/**
 * Where a resource came from: a file and the 1-based index of the document inside it. Every
 * error about a resource names its origin so the user can find the text to fix.
 */
public record Origin(String file, int document) {
    public static final Origin UNKNOWN = new Origin("<unknown>", 0);

    public Origin {
        Objects.requireNonNull(file, "file");
    }

    @Override
    public String toString() {
        return document > 0 ? file + " (document " + document + ")" : file;
    }
}
