package dev.trellis.controlplane.store;

/**
 * How many keys a delete removed, and the store's revision after it. Deleting nothing does not
 * add a revision, as in etcd, so {@code revision} is then the current one.
 */
public record DeleteResult(long deleted, long revision) implements OpResult {}
