package dev.trellis.controlplane.store;

import java.util.List;

/**
 * The outcome of {@link Store#txn}.
 *
 * @param succeeded true when every compare held, so the success operations ran
 * @param results one result per operation that ran, in order
 * @param revision the store's revision after the transaction: one more than before when it
 *     wrote anything, unchanged when it only read (or deleted nothing), as in etcd
 */
public record TxnResult(boolean succeeded, List<OpResult> results, long revision) {
    public TxnResult {
        results = List.copyOf(results);
    }

    /** The result of operation {@code index}, of the kind that operation returns. */
    public <T extends OpResult> T result(int index, Class<T> kind) {
        return kind.cast(results.get(index));
    }
}
