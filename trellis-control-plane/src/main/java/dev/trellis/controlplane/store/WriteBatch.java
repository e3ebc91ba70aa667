package dev.trellis.controlplane.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * The changes of one write transaction on the embedded store: all at one revision, one log row
 * per key, in operation order. Reads see the rows written so far, as etcd's txn reads do.
 */
final class WriteBatch {
    private final Connection c;
    private final long before;
    private final List<LogRow> rows = new ArrayList<>();
    private final List<Runnable> afterCommit = new ArrayList<>();

    WriteBatch(Connection c, long before) {
        this.c = c;
        this.before = before;
    }

    Connection connection() {
        return c;
    }

    /** The revision after this batch: one more than before if it changed anything. */
    long revision() {
        return rows.isEmpty() ? before : before + 1;
    }

    boolean changed() {
        return !rows.isEmpty();
    }

    List<WatchEvent> events() {
        return rows.stream().map(LogRow::event).toList();
    }

    /** Runs {@code action} once the batch is committed, for state kept outside the database. */
    void afterCommit(Runnable action) {
        afterCommit.add(action);
    }

    void committed() {
        afterCommit.forEach(Runnable::run);
    }

    Optional<KeyValue> get(String key) throws SQLException {
        return KvLog.get(c, Keys.key("get", key));
    }

    List<KeyValue> range(String prefix) throws SQLException {
        byte[] p = Keys.prefix("range", prefix);
        return KvLog.range(c, p, Keys.prefixEnd(p), Long.MAX_VALUE);
    }

    void put(String key, byte[] value, long lease) throws SQLException {
        append(LogRow.put(before + 1, key, value, lease, get(key)));
    }

    long delete(String key) throws SQLException {
        Optional<KeyValue> prev = get(key);
        if (prev.isEmpty()) {
            return 0;
        }
        append(LogRow.delete(before + 1, prev.get()));
        return 1;
    }

    long deletePrefix(String prefix) throws SQLException {
        List<KeyValue> doomed = range(prefix);
        for (KeyValue kv : doomed) {
            append(LogRow.delete(before + 1, kv));
        }
        return doomed.size();
    }

    /** Applies {@code op}; its result is made once the batch's revision is known. */
    LongFunction<OpResult> apply(Op op) throws SQLException {
        return switch (op) {
            case Op.Put p -> {
                put(p.key(), p.value(), p.lease());
                yield PutResult::new;
            }
            case Op.Delete d -> {
                long deleted = delete(d.key());
                yield revision -> new DeleteResult(deleted, revision);
            }
            case Op.DeletePrefix d -> {
                long deleted = deletePrefix(d.prefix());
                yield revision -> new DeleteResult(deleted, revision);
            }
            case Op.Get g -> {
                List<KeyValue> kvs = get(g.key()).stream().toList();
                yield revision -> new RangeResult(kvs, revision);
            }
            case Op.Range r -> {
                List<KeyValue> kvs = range(r.prefix());
                yield revision -> new RangeResult(kvs, revision);
            }
        };
    }

    private void append(LogRow row) throws SQLException {
        KvLog.append(c, row);
        rows.add(row);
    }
}
