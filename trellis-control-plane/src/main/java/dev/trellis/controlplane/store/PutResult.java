package dev.trellis.controlplane.store;

/** A put inside a transaction; {@code revision} is the transaction's, which the key now carries. */
public record PutResult(long revision) implements OpResult {}
