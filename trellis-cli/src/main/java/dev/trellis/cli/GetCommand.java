package dev.trellis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.trellis.cli.client.ApiClient;
import dev.trellis.cli.client.ApiOption;
import dev.trellis.cli.client.Table;
import dev.trellis.config.KindNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code trellis get}: shows resources applied to the control plane, or the workloads registered with it. */
@Command(
        name = "get",
        mixinStandardHelpOptions = true,
        description = {
            "Shows resources of one kind (serviceentries, virtualservices, destinationrules, proxies, localratelimits,"
                    + " retrybudgets, or short names se, vs, dr), or the registered workloads (workloadentries, we), as a table,"
                    + " YAML or JSON."
        })
final class GetCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    enum Output { TABLE, YAML, JSON }

    @Parameters(index = "0", paramLabel = "KIND", description = "What to show.")
    String kind;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "One resource by name.")
    String name;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "default",
            description = "The namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-A", "--all-namespaces"}, description = "Every namespace.")
    boolean allNamespaces;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table, yaml or json (default: ${DEFAULT-VALUE}).")
    Output output;

    @Mixin
    ApiOption api;

    @Override
    public Integer call() throws IOException {
        boolean workloads = List.of("workloadentries", "workloadentry", "we").contains(kind.toLowerCase(Locale.ROOT));
        Optional<String> documentKind = KindNames.resolve(kind);
        if (!workloads && documentKind.isEmpty()) {
            System.err.println("trellis get: no kind " + kind + " (expected one of: serviceentries (se), virtualservices (vs),"
                    + " destinationrules (dr), proxies, localratelimits, retrybudgets, workloadentries (we))");
            return 2;
        }
        ApiClient client = api.client();
        Map<String, String> query = new LinkedHashMap<>();
        if (!allNamespaces) {
            query.put("namespace", namespace);
        }
        try {
            if (workloads) {
                JsonNode list = client.get("/api/v1/workloadentries", query);
                List<JsonNode> items = filter(list.path("items"), "proxy");
                print(list, items, this::workloadTable);
            } else if (name != null) {
                JsonNode document = client.get("/api/v1/" + KindNames.plural(documentKind.get()) + "/" + namespace + "/" + name, Map.of());
                print(document, List.of(document), this::documentTable);
            } else {
                JsonNode list = client.get("/api/v1/" + KindNames.plural(documentKind.get()), query);
                List<JsonNode> items = new ArrayList<>();
                list.path("items").forEach(items::add);
                print(list, items, this::documentTable);
            }
            return 0;
        } catch (ApiClient.ApiException e) {
            return ApiOutput.failure("get", e);
        }
    }

    /** Registered workloads, by name when one is given. */
    private List<JsonNode> filter(JsonNode items, String field) {
        List<JsonNode> kept = new ArrayList<>();
        items.forEach(item -> {
            if (name == null || name.equals(item.path(field).asText()) || name.equals(item.path("nodeId").asText())) {
                kept.add(item);
            }
        });
        return kept;
    }

    private void print(JsonNode whole, List<JsonNode> items, java.util.function.Function<List<JsonNode>, Table> table) throws IOException {
        switch (output) {
            case JSON -> System.out.println(JSON.writeValueAsString(name != null && items.size() == 1 ? items.get(0) : listOf(whole, items)));
            case YAML -> {
                for (int i = 0; i < items.size(); i++) {
                    System.out.print((i > 0 ? "---\n" : "") + YAML.writeValueAsString(items.get(i)));
                }
            }
            case TABLE -> {
                Table t = table.apply(items);
                if (t.isEmpty()) {
                    System.err.println("No resources found" + (allNamespaces ? "." : " in namespace " + namespace + "."));
                } else {
                    t.print(System.out);
                }
            }
        }
    }

    private static JsonNode listOf(JsonNode whole, List<JsonNode> items) {
        var list = JSON.createObjectNode();
        list.put("kind", whole.path("kind").asText());
        items.forEach(list.putArray("items")::add);
        return list;
    }

    private Table documentTable(List<JsonNode> items) {
        Table table = new Table("NAMESPACE", "NAME", "KIND", "API VERSION");
        for (JsonNode item : items) {
            table.row(item.at("/metadata/namespace").asText("default"), item.at("/metadata/name").asText(),
                    item.path("kind").asText(), item.path("apiVersion").asText());
        }
        return table;
    }

    private Table workloadTable(List<JsonNode> items) {
        Table table = new Table("NAMESPACE", "SERVICE", "ADDRESS", "PORT", "PROTOCOL", "LABELS", "SERVICE ACCOUNT", "PROXY");
        for (JsonNode item : items) {
            List<String> labels = new ArrayList<>();
            item.path("labels").fields().forEachRemaining(e -> labels.add(e.getKey() + "=" + e.getValue().asText()));
            table.row(item.path("namespace").asText(), item.path("service").asText(), item.path("address").asText(),
                    item.path("port").asText(), item.path("protocol").asText(), labels.isEmpty() ? "<none>" : String.join(",", labels),
                    item.path("serviceAccount").asText(), item.path("nodeId").asText());
        }
        return table;
    }
}
