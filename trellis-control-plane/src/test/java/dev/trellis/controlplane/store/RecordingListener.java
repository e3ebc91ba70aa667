package dev.trellis.controlplane.store;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A watch listener for tests: keeps every batch and error it gets, and the threads it got them on. */
public final class RecordingListener implements WatchListener {
    private final List<WatchBatch> batches = new CopyOnWriteArrayList<>();
    private final List<StoreException> errors = new CopyOnWriteArrayList<>();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    @Override
    public void onBatch(WatchBatch batch) {
        threads.add(Thread.currentThread());
        batches.add(batch);
    }

    @Override
    public void onError(StoreException error) {
        threads.add(Thread.currentThread());
        errors.add(error);
    }

    public List<WatchBatch> batches() {
        return List.copyOf(batches);
    }

    public List<StoreException> errors() {
        return List.copyOf(errors);
    }

    public Set<Thread> threads() {
        return Set.copyOf(threads);
    }

    /** Every event so far, each as {@link #describe}. */
    public List<String> events() {
        return batches.stream().flatMap(b -> b.events().stream()).map(RecordingListener::describe).toList();
    }

    /** The revisions of the batches so far, in delivery order. */
    public List<Long> revisions() {
        return batches.stream().map(WatchBatch::revision).toList();
    }

    /** "PUT /k=v @3" or "DELETE /k @4". */
    public static String describe(WatchEvent e) {
        return e.type() == WatchEvent.Type.PUT
                ? "PUT " + e.key() + "=" + e.kv().valueAsString() + " @" + e.revision()
                : "DELETE " + e.key() + " @" + e.revision();
    }
}
