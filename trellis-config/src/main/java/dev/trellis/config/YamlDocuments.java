package dev.trellis.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.trellis.config.internal.Problems;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Splits YAML text into its documents, as trees. */
final class YamlDocuments {
    // A repeated key would otherwise silently keep the last value; "key:" means null, as in YAML.
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .build();
    private static final ObjectMapper MAPPER = new ObjectMapper(YAML);

    private YamlDocuments() {}

    /**
     * The documents of {@code text}, in order, with a null node for each empty one so that the
     * 1-based position of a document in the list is its number in the file. Stops at the first
     * syntax error, which goes to {@code problems} with its line and column.
     */
    static List<JsonNode> read(String file, String text, Problems problems) {
        List<JsonNode> documents = new ArrayList<>();
        try (JsonParser parser = new NoAliases(YAML.createParser(text))) {
            MappingIterator<JsonNode> values = MAPPER.readValues(parser, JsonNode.class);
            while (values.hasNextValue()) {
                documents.add(values.nextValue());
            }
        } catch (JsonProcessingException e) {
            problems.in(file + " (document " + (documents.size() + 1) + ")").add(where(e), "invalid YAML: " + what(e));
        } catch (IOException e) {
            // A String source has no I/O; keep the message should a parser report one anyway.
            problems.in(file).add("", "cannot read (" + e + ")");
        }
        return documents;
    }

    // SnakeYAML's own mark points at the offending character; Jackson's, at the last token.
    private static String where(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            Mark mark = yaml.getProblemMark();
            return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
        }
        JsonLocation location = e.getLocation();
        return location == null ? "" : "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static String what(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException yaml) {
            return yaml.getProblem();
        }
        return e.getOriginalMessage();
    }

    /**
     * Rejects YAML aliases ({@code *name}, and so merge keys): Jackson's tree reader would read
     * them as the plain string "name", silently.
     */
    private static final class NoAliases extends JsonParserDelegate {
        NoAliases(YAMLParser parser) {
            super(parser);
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken token = super.nextToken();
            if (((YAMLParser) delegate).isCurrentAlias()) {
                throw new JsonParseException(
                        this, "alias *" + getText() + " is not supported; write the value out", currentTokenLocation());
            }
            return token;
        }
    }
}
