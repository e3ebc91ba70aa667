package dev.trellis.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.config.internal.Problems;
import dev.trellis.model.Meta;
import dev.trellis.model.Origin;
import java.util.Optional;

/**
 * Reads one document: its apiVersion, kind and metadata, then its spec with the kind's reader.
 * Every problem names the resource ({@code Kind namespace/name}) as soon as it is known.
 */
final class DocumentReader {
    private static final Fields DOCUMENT = Fields.of("apiVersion", "kind", "metadata", "spec");

    /**
     * A document read.
     *
     * @param meta the resource's identity, for checks across documents
     * @param source the document as given
     * @param resource the model record; empty when the document has problems
     */
    record Read(Meta meta, JsonNode source, Optional<? extends Record> resource) {}

    private DocumentReader() {}

    /**
     * The document, or empty when it is empty (a stray {@code ---}) or its identity cannot be
     * read; every problem goes to {@code problems}.
     */
    static Optional<Read> read(JsonNode document, Origin origin, Problems problems) {
        if (document == null || document.isNull()) {
            return Optional.empty();
        }
        int before = problems.count();
        Node root = Node.root(document, problems.in(origin + describe(document)));
        if (!root.isRequiredObject(DOCUMENT)) {
            return Optional.empty();
        }
        Optional<Kinds.Kind> kind = Kinds.find(root.get("apiVersion"), root.get("kind"));
        Node metadata = root.get("metadata");
        metadata.entries("fields such as name and namespace"); // other fields are Kubernetes' business
        Optional<String> name = Names.subdomain(metadata.get("name"));
        Node namespaceNode = metadata.get("namespace");
        Optional<String> namespace = namespaceNode.isPresent()
                ? Names.label(namespaceNode)
                : Optional.of(Meta.DEFAULT_NAMESPACE);
        if (kind.isEmpty()) {
            return Optional.empty(); // without a kind, the spec has no schema to check against
        }
        // Read the spec even when the name is wrong, to find all its problems at once.
        Meta meta = new Meta(kind.get().name(), name.orElse(""), namespace.orElse(""), origin);
        Optional<? extends Record> resource = kind.get().reader().read(meta, root.get("spec"));
        if (name.isEmpty() || namespace.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Read(meta, document, problems.count() == before ? resource : Optional.empty()));
    }

    /** {@code " Kind namespace/name"} when the document says so, leniently, for messages. */
    private static String describe(JsonNode document) {
        String kind = document.path("kind").textValue();
        String name = document.path("metadata").path("name").textValue();
        if (kind == null || name == null) {
            return "";
        }
        String namespace = document.path("metadata").path("namespace").textValue();
        return " " + kind + " " + (namespace != null ? namespace : Meta.DEFAULT_NAMESPACE) + "/" + name;
    }
}
