package dev.trellis.controlplane.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.config.ConfigLoader;
import dev.trellis.config.Document;
import dev.trellis.controlplane.store.Compare;
import dev.trellis.controlplane.store.KeyValue;
import dev.trellis.controlplane.store.Op;
import dev.trellis.controlplane.store.RangeResult;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreException;
import dev.trellis.controlplane.store.TxnResult;
import dev.trellis.controlplane.store.Watch;
import dev.trellis.controlplane.store.WatchBatch;
import dev.trellis.controlplane.store.WatchListener;
import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Meta;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The documents applied to the control plane. They are kept whole, as one revisioned value, so
 * that an apply of any number of documents lands at once or not at all, within etcd's limits: the
 * value is written in chunks of at most 1 MiB under a fresh generation, then one compare-and-put
 * of the commit marker makes that generation current. A crash between the two leaves the old
 * generation current and the new chunks unreferenced, and they are cleared later.
 */
public final class ConfigStore {
    private static final Logger log = LoggerFactory.getLogger(ConfigStore.class);
    static final String CURRENT = "/trellis/config/current";
    static final String GENERATIONS = "/trellis/config/generations/";
    static final int CHUNK_BYTES = 1 << 20;
    private static final int ATTEMPTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The applied documents, the mesh they make, and the revision of the commit that made them current. */
    public record Snapshot(List<Document> documents, MeshConfig mesh, long revision) {
        public Snapshot {
            documents = List.copyOf(documents);
        }

        /** The document of this kind, namespace and name, if any. */
        public Optional<Document> find(String kind, String namespace, String name) {
            return documents.stream()
                    .filter(d -> d.meta().kind().equals(kind) && d.meta().namespace().equals(namespace) && d.meta().name().equals(name))
                    .findFirst();
        }
    }

    /** What an apply or a delete did to one resource. */
    public record Change(String kind, String namespace, String name, Action action) {
        public enum Action {
            CREATED,
            CONFIGURED,
            UNCHANGED,
            DELETED
        }
    }

    /** The outcome of an apply or a delete: what changed, and the configuration it left (or would leave). */
    public record Outcome(List<Change> changes, Snapshot result, boolean dryRun) {
        public Outcome {
            changes = List.copyOf(changes);
        }
    }

    private record Marker(String generation, int chunks, String sha256) {}

    private final Store store;

    public ConfigStore(Store store) {
        this.store = store;
    }

    /**
     * The current configuration.
     *
     * @throws ConfigException when the stored documents no longer read
     */
    public Snapshot load() throws ConfigException {
        for (int attempt = 1; ; attempt++) {
            RangeResult current = store.get(CURRENT);
            if (current.first().isEmpty()) {
                return new Snapshot(List.of(), MeshConfig.EMPTY, 0);
            }
            KeyValue marker = current.first().get();
            Optional<byte[]> bytes = read(marker);
            if (bytes.isPresent()) {
                List<Document> documents = StoredDocuments.decode(bytes.get());
                return new Snapshot(documents, ConfigLoader.mesh(documents), marker.modRevision());
            }
            if (attempt == ATTEMPTS) {
                throw new ConfigException("the stored configuration kept changing while it was read (" + ATTEMPTS + " attempts)");
            }
        }
    }

    /**
     * Applies documents whole: each replaces the one of its kind, namespace and name, or is added.
     * The result must read as one mesh (no two resources of one name, one ServiceEntry and one
     * DestinationRule per host), or nothing changes.
     *
     * @param dryRun check and report what would change, and change nothing
     * @throws ConfigException naming every problem, file and field
     */
    public synchronized Outcome apply(List<Document> incoming, boolean dryRun) throws ConfigException {
        ConfigLoader.mesh(incoming); // two documents of one name within the apply itself
        for (int attempt = 1; ; attempt++) {
            Snapshot current = load();
            Map<String, Document> merged = byRef(current.documents());
            List<Change> changes = new ArrayList<>();
            for (Document document : incoming) {
                Meta meta = document.meta();
                Document before = merged.put(meta.ref(), document);
                Change.Action action = before == null ? Change.Action.CREATED
                        : before.source().equals(document.source()) ? Change.Action.UNCHANGED
                        : Change.Action.CONFIGURED;
                if (action == Change.Action.UNCHANGED) {
                    merged.put(meta.ref(), before); // keeps where it was first applied from
                }
                changes.add(new Change(meta.kind(), meta.namespace(), meta.name(), action));
            }
            List<Document> documents = List.copyOf(merged.values());
            MeshConfig mesh = ConfigLoader.mesh(documents);
            boolean unchanged = changes.stream().allMatch(c -> c.action() == Change.Action.UNCHANGED);
            if (dryRun || unchanged) {
                return new Outcome(changes, new Snapshot(documents, mesh, current.revision()), dryRun);
            }
            Optional<Long> revision = write(documents, current.revision());
            if (revision.isPresent()) {
                return new Outcome(changes, new Snapshot(documents, mesh, revision.get()), false);
            }
            if (attempt == ATTEMPTS) {
                throw new ConfigException("the configuration kept changing while this apply ran (" + ATTEMPTS
                        + " attempts); apply it again");
            }
        }
    }

    /**
     * Deletes one resource.
     *
     * @return empty when there is no such resource
     */
    public synchronized Optional<Outcome> delete(String kind, String namespace, String name, boolean dryRun) throws ConfigException {
        for (int attempt = 1; ; attempt++) {
            Snapshot current = load();
            if (current.find(kind, namespace, name).isEmpty()) {
                return Optional.empty();
            }
            List<Document> documents = current.documents().stream()
                    .filter(d -> !(d.meta().kind().equals(kind) && d.meta().namespace().equals(namespace) && d.meta().name().equals(name)))
                    .toList();
            MeshConfig mesh = ConfigLoader.mesh(documents);
            List<Change> changes = List.of(new Change(kind, namespace, name, Change.Action.DELETED));
            if (dryRun) {
                return Optional.of(new Outcome(changes, new Snapshot(documents, mesh, current.revision()), true));
            }
            Optional<Long> revision = write(documents, current.revision());
            if (revision.isPresent()) {
                return Optional.of(new Outcome(changes, new Snapshot(documents, mesh, revision.get()), false));
            }
            if (attempt == ATTEMPTS) {
                throw new ConfigException("the configuration kept changing while this delete ran; delete it again");
            }
        }
    }

    /**
     * Calls {@code onChange} with the configuration each time another one becomes current (an apply
     * or a delete here, or on another control plane sharing the store), in revision order and never
     * twice for one revision. Each call reads the configuration current then, so changes in quick
     * succession may arrive as one call with the newest. A watch that ends (the history it needed was
     * compacted) starts again from the configuration current by then.
     */
    public Watch watch(long afterRevision, Consumer<Snapshot> onChange) {
        return new Watching(onChange).start(afterRevision);
    }

    private final class Watching implements Watch, WatchListener {
        private final Consumer<Snapshot> onChange;
        private volatile Watch current;
        private volatile boolean closed;
        /** The revision of the last configuration delivered: one read already newer makes later batches stale. */
        private long delivered;

        Watching(Consumer<Snapshot> onChange) {
            this.onChange = onChange;
        }

        Watching start(long afterRevision) {
            delivered = Math.max(delivered, afterRevision);
            current = store.watch(CURRENT, afterRevision + 1, this);
            return this;
        }

        @Override
        public void onBatch(WatchBatch batch) {
            try {
                deliver(load());
            } catch (ConfigException e) {
                log.error("the stored configuration does not read, the served one stays: {}", e.getMessage());
            }
        }

        @Override
        public void onError(StoreException error) {
            if (closed) {
                return;
            }
            log.warn("configuration watch ended ({}); reading the configuration again", error.getMessage());
            try {
                Snapshot now = load();
                deliver(now);
                start(now.revision());
            } catch (ConfigException | RuntimeException e) {
                log.error("cannot watch the configuration again: {}", e.getMessage());
            }
        }

        /** Batches arrive one at a time, from the store's watch thread or after an error: no race here. */
        private void deliver(Snapshot snapshot) {
            if (snapshot.revision() > delivered) {
                delivered = snapshot.revision();
                onChange.accept(snapshot);
            }
        }

        @Override
        public void close() {
            closed = true;
            current.close();
        }
    }

    /**
     * Removes chunks no commit refers to: generations written before the current commit that are
     * not current (a writer that crashed, or lost its compare-and-put). A generation written after
     * the current commit may belong to a writer still at work, and stays.
     */
    public void clearUnreferenced() {
        RangeResult current = store.get(CURRENT);
        String live = current.first().map(kv -> marker(kv).generation()).orElse(null);
        long committed = current.first().map(KeyValue::modRevision).orElse(Long.MAX_VALUE);
        Map<String, Long> newest = new LinkedHashMap<>();
        for (KeyValue kv : store.range(GENERATIONS).kvs()) {
            String generation = kv.key().substring(GENERATIONS.length(), kv.key().indexOf('/', GENERATIONS.length()));
            newest.merge(generation, kv.modRevision(), Math::max);
        }
        newest.forEach((generation, revision) -> {
            if (!generation.equals(live) && revision < committed) {
                store.deletePrefix(GENERATIONS + generation + "/");
                log.info("cleared configuration generation {}, which no commit refers to", generation);
            }
        });
    }

    /** Writes the documents as a new generation and commits it if the current one is still {@code expected}. */
    private Optional<Long> write(List<Document> documents, long expected) {
        byte[] bytes = StoredDocuments.encode(documents);
        String generation = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        int chunks = Math.max(1, (bytes.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
        for (int i = 0; i < chunks; i++) {
            store.put(chunkKey(generation, i), Arrays.copyOfRange(bytes, i * CHUNK_BYTES, Math.min(bytes.length, (i + 1) * CHUNK_BYTES)));
        }
        byte[] marker = encode(new Marker(generation, chunks, sha256(bytes)));
        Compare unchanged = expected == 0 ? Compare.absent(CURRENT) : Compare.modRevision(CURRENT, Compare.Result.EQUAL, expected);
        TxnResult committed = store.txn(List.of(unchanged), List.of(Op.get(CURRENT), Op.put(CURRENT, marker)), List.of());
        if (!committed.succeeded()) {
            store.deletePrefix(GENERATIONS + generation + "/");
            return Optional.empty();
        }
        committed.result(0, RangeResult.class).first()
                .ifPresent(old -> store.deletePrefix(GENERATIONS + marker(old).generation() + "/"));
        return Optional.of(committed.revision());
    }

    /**
     * The generation a commit marker names, read in one transaction with a check that the marker is
     * still current; empty when another commit came in between (its writer deletes the old chunks).
     */
    private Optional<byte[]> read(KeyValue current) throws ConfigException {
        Marker marker = marker(current);
        TxnResult read = store.txn(List.of(Compare.modRevision(CURRENT, Compare.Result.EQUAL, current.modRevision())),
                List.of(Op.range(GENERATIONS + marker.generation() + "/")), List.of());
        if (!read.succeeded()) {
            return Optional.empty();
        }
        List<KeyValue> chunks = read.result(0, RangeResult.class).kvs();
        if (chunks.size() != marker.chunks()) {
            throw new ConfigException("the stored configuration is incomplete: generation " + marker.generation() + " has "
                    + chunks.size() + " of its " + marker.chunks() + " chunks");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        chunks.forEach(chunk -> bytes.writeBytes(chunk.value())); // keys sort in chunk order
        byte[] all = bytes.toByteArray();
        if (!sha256(all).equals(marker.sha256())) {
            throw new ConfigException("the stored configuration of generation " + marker.generation() + " does not match its checksum");
        }
        return Optional.of(all);
    }

    private static byte[] encode(Marker marker) {
        try {
            return JSON.writeValueAsBytes(marker);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + marker, e);
        }
    }

    private static Marker marker(KeyValue kv) {
        try {
            JsonNode node = JSON.readTree(kv.value());
            return new Marker(node.path("generation").asText(), node.path("chunks").asInt(), node.path("sha256").asText());
        } catch (IOException e) {
            throw new IllegalStateException("the configuration commit marker " + kv.key() + " is not valid JSON", e);
        }
    }

    private static String chunkKey(String generation, int index) {
        return GENERATIONS + generation + "/" + String.format("%05d", index);
    }

    private static Map<String, Document> byRef(List<Document> documents) {
        Map<String, Document> map = new LinkedHashMap<>();
        documents.forEach(d -> map.put(d.meta().ref(), d));
        return map;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
