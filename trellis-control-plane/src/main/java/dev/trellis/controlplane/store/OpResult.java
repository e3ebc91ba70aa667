package dev.trellis.controlplane.store;

/** What one operation of a transaction returned, one kind per kind of {@link Op}. */
public sealed interface OpResult permits PutResult, DeleteResult, RangeResult {
    /** The store's revision after the request that ran the operation. */
    long revision();
}
