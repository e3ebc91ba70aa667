package dev.trellis.controlplane.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.config.ConfigLoader;
import dev.trellis.config.Document;
import dev.trellis.model.ConfigException;
import dev.trellis.model.Origin;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of the applied documents: one JSON value holding each document as it was given,
 * with the file and position it came from, so that messages about it still point there.
 */
final class StoredDocuments {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredDocuments() {}

    static byte[] encode(List<Document> documents) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode items = root.putArray("documents");
        for (Document document : documents) {
            ObjectNode item = items.addObject();
            item.putObject("origin")
                    .put("file", document.meta().origin().file())
                    .put("document", document.meta().origin().document());
            item.set("source", document.source());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the documents", e);
        }
    }

    /**
     * The documents read back, each checked again as when it was applied.
     *
     * @throws ConfigException when a stored document no longer reads (a reader changed since)
     */
    static List<Document> decode(byte[] bytes) throws ConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new ConfigException("the stored configuration is not valid JSON: " + e.getMessage());
        }
        List<Document> documents = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (JsonNode item : root.path("documents")) {
            Origin origin = new Origin(item.path("origin").path("file").asText("stored"), item.path("origin").path("document").asInt(0));
            try {
                documents.add(ConfigLoader.document(item.path("source"), origin));
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return documents;
    }
}
