package dev.trellis.controlplane.store;

/**
 * Receives a watch's batches, one call at a time, in revision order, on a thread of the store's
 * (never the thread of the writer that made the change).
 */
public interface WatchListener {

    /** The changes of one revision under the watched prefix. A listener that throws ends its watch. */
    void onBatch(WatchBatch batch);

    /**
     * The watch has ended, and no batch follows: a {@link CompactedException} when the history the
     * watch still had to deliver was compacted (re-list, then watch again from the list's revision
     * + 1), a {@link StoreClosedException} when the store closed, or a {@link StoreException} when
     * reading the store failed or {@link #onBatch} threw. Not called for a watch its owner closed.
     */
    void onError(StoreException error);
}
