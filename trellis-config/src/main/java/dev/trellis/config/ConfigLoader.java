package dev.trellis.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.config.internal.Problems;
import dev.trellis.model.ConfigException;
import dev.trellis.model.DestinationRule;
import dev.trellis.model.LocalRateLimit;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Origin;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.model.RetryBudget;
import dev.trellis.model.Service;
import dev.trellis.model.VirtualService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads YAML documents into a validated {@link MeshConfig}: Istio's {@code ServiceEntry},
 * {@code VirtualService} and {@code DestinationRule} ({@code networking.istio.io/v1},
 * {@code v1beta1}, {@code v1alpha3}) and Trellis's {@code Proxy}, {@code LocalRateLimit} and {@code RetryBudget}
 * ({@code trellis.dev/v1alpha1}).
 *
 * <p>All or nothing: every problem of every document is collected, each naming its file,
 * document, resource and field, and one {@link ConfigException} reports them all. A field
 * Trellis does not implement yet is a problem too, never silently ignored.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /**
     * Reads YAML files, or directories of {@code *.yaml}/{@code *.yml} files (sorted by name, not
     * recursive); a file may hold several documents separated by {@code ---}.
     */
    public static MeshConfig load(List<Path> paths) throws ConfigException {
        Problems problems = new Problems();
        List<DocumentReader.Read> documents = new ArrayList<>();
        SourceFiles.forEach(paths, problems, source -> documents.addAll(read(source.name(), source.text(), problems)));
        return build(documents, problems);
    }

    /** Reads the documents of one YAML text; {@code fileName} is what messages call it. */
    public static MeshConfig parse(String fileName, String yamlText) throws ConfigException {
        Problems problems = new Problems();
        return build(read(fileName, yamlText, problems), problems);
    }

    /**
     * Reads and checks each document of one YAML (or JSON) text on its own, without the checks
     * across documents that {@link #mesh} makes; {@code fileName} is what messages call it.
     */
    public static List<Document> documents(String fileName, String text) throws ConfigException {
        Problems problems = new Problems();
        List<DocumentReader.Read> read = read(fileName, text, problems);
        problems.throwIfAny();
        return read.stream().map(d -> new Document(d.meta(), d.source(), d.resource().orElseThrow())).toList();
    }

    /** Reads and checks one document given as a tree, as if it came from {@code origin}. */
    public static Document document(JsonNode tree, Origin origin) throws ConfigException {
        Problems problems = new Problems();
        Optional<DocumentReader.Read> read = DocumentReader.read(tree, origin, problems);
        problems.throwIfAny();
        DocumentReader.Read document = read.orElseThrow(() -> new ConfigException(origin + ": an empty document"));
        return new Document(document.meta(), document.source(), document.resource().orElseThrow());
    }

    /**
     * The mesh these documents make together, after the checks across documents: one resource per
     * kind, namespace and name, one ServiceEntry, one DestinationRule, one LocalRateLimit and one RetryBudget per host,
     * and no host with a retry budget of both kinds.
     */
    public static MeshConfig mesh(List<Document> documents) throws ConfigException {
        return build(documents.stream()
                .map(d -> new DocumentReader.Read(d.meta(), d.source(), Optional.of(d.resource())))
                .toList(), new Problems());
    }

    private static List<DocumentReader.Read> read(String file, String text, Problems problems) {
        List<JsonNode> trees = YamlDocuments.read(file, text, problems);
        List<DocumentReader.Read> documents = new ArrayList<>();
        for (int i = 0; i < trees.size(); i++) {
            DocumentReader.read(trees.get(i), new Origin(file, i + 1), problems).ifPresent(documents::add);
        }
        return documents;
    }

    private static MeshConfig build(List<DocumentReader.Read> documents, Problems problems)
            throws ConfigException {
        Uniqueness.check(documents.stream().map(DocumentReader.Read::meta).toList(), problems);
        problems.throwIfAny();
        List<ProxyBootstrap> proxies = new ArrayList<>();
        List<Service> services = new ArrayList<>();
        List<VirtualService> virtualServices = new ArrayList<>();
        List<DestinationRule> destinationRules = new ArrayList<>();
        List<LocalRateLimit> localRateLimits = new ArrayList<>();
        List<RetryBudget> retryBudgets = new ArrayList<>();
        for (DocumentReader.Read document : documents) {
            switch (document.resource().orElseThrow()) {
                case ProxyBootstrap p -> proxies.add(p);
                case Service s -> services.add(s);
                case VirtualService v -> virtualServices.add(v);
                case DestinationRule d -> destinationRules.add(d);
                case LocalRateLimit l -> localRateLimits.add(l);
                case RetryBudget r -> retryBudgets.add(r);
                default -> throw new IllegalStateException("no list for " + document.meta());
            }
        }
        HostClaims.check(services, destinationRules, localRateLimits, retryBudgets, problems);
        problems.throwIfAny();
        return new MeshConfig(proxies, services, virtualServices, destinationRules, localRateLimits, retryBudgets);
    }
}
