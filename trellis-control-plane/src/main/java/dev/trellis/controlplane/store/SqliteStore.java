package dev.trellis.controlplane.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store: SQLite (WAL, {@code synchronous=FULL}) in {@code store.db} of a data
 * directory, laid out as kine lays out its SQL backend, a log with one row per key per revision.
 *
 * <ul>
 *   <li><b>Durability.</b> A write returns after its commit is fsynced to the WAL, so it survives
 *       {@code kill -9}, and power loss on a disk that honours fsync.
 *   <li><b>Locking.</b> One writer connection, one write at a time (a lock); reads run in parallel
 *       on their own connections, each in one SQLite read transaction, so what they return is one
 *       consistent revision. The data directory is locked by {@code store.lock}: a second store on
 *       it, in this process or another, is refused with the holder's pid.
 *   <li><b>Watches.</b> Each watch has a (virtual) thread of its own. A live watch queues up to
 *       16 MiB of batches its listener has not taken yet (keys and values); past that
 *       it drops the queue and reads on from the log, as etcd's unsynced watchers do, so a slow
 *       listener neither blocks writers nor grows memory. Only compaction of revisions it has not
 *       delivered yet ends it ({@link CompactedException}).
 *   <li><b>Leases.</b> Granted in whole seconds, at least {@link Store#MIN_LEASE_TTL}; deadlines
 *       are checked every {@code 100 ms}. Stored ttls survive a restart, deadlines do not: on
 *       open every lease starts its full ttl again, as in etcd.
 *   <li><b>Opening</b> checks that the file is a Trellis store of this schema version and passes
 *       SQLite's {@code quick_check}; any failure names the file.
 * </ul>
 */
public final class SqliteStore implements Store {
    static final String DATABASE_FILE = "store.db";
    static final long DEFAULT_WATCH_BACKLOG_BYTES = 16L << 20;

    private static final int READERS = 4;
    /** Rows read per page by a watch catching up; a revision is never split across pages. */
    private static final int HISTORY_PAGE_ROWS = 512;

    private static final Logger log = LoggerFactory.getLogger(SqliteStore.class);

    private final Database db;
    private final String name;
    private final DirectoryLock directoryLock;
    private final Connection writer;
    private final List<Connection> connections;
    private final BlockingQueue<Connection> readers;
    private final LeaseTable leases = new LeaseTable();
    private final LeaseReaper reaper;
    private final WatchHub hub;

    /** Taken shared by every call, exclusively by {@link #close()}: close waits for calls in flight. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** One write transaction at a time, which is also what orders revisions and their publication. */
    private final ReentrantLock writeLock = new ReentrantLock();

    private volatile long revision;
    private volatile long compactRevision;
    private volatile boolean closed;

    private SqliteStore(Path directory, DirectoryLock directoryLock, long watchBacklogBytes) {
        this.db = new Database(directory.resolve(DATABASE_FILE));
        this.name = "store " + db.file();
        this.directoryLock = directoryLock;
        this.connections = new ArrayList<>();
        this.readers = new ArrayBlockingQueue<>(READERS);
        try {
            writer = db.connect();
            connections.add(writer);
            db.prepare(writer);
            revision = KvLog.currentRevision(writer);
            compactRevision = KvLog.compactRevision(writer);
            LeaseRows.all(writer).forEach(leases::add);
            for (int i = 0; i < READERS; i++) {
                Connection c = db.connect();
                connections.add(c);
                readers.add(c);
            }
        } catch (SQLException e) {
            connections.forEach(Database::closeQuietly);
            throw db.failure("cannot read", e);
        } catch (RuntimeException e) {
            connections.forEach(Database::closeQuietly);
            throw e;
        }
        hub = new WatchHub(this::history, revision, watchBacklogBytes);
        reaper = new LeaseReaper(leases, this::expire);
        reaper.start();
        log.info("{}: opened at revision {}, compacted to {}", name, revision, compactRevision);
    }

    /**
     * Opens the store in {@code directory}, creating the directory and an empty store if missing.
     *
     * @throws StoreException when the directory cannot be created or locked, is in use by another
     *     store, or its database is not a readable Trellis store; the message names the file
     */
    public static SqliteStore open(Path directory) {
        return open(directory, DEFAULT_WATCH_BACKLOG_BYTES);
    }

    static SqliteStore open(Path directory, long watchBacklogBytes) {
        Path dir;
        try {
            Files.createDirectories(directory);
            dir = directory.toRealPath();
        } catch (IOException e) {
            throw new StoreException("store " + directory + ": cannot create the data directory: " + e, e);
        }
        DirectoryLock lock = DirectoryLock.acquire(dir);
        try {
            return new SqliteStore(dir, lock, watchBacklogBytes);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    @Override
    public long revision() {
        checkOpen();
        return revision;
    }

    @Override
    public RangeResult get(String key) {
        byte[] k = Keys.key("get", key);
        return read("get " + key, c -> new RangeResult(KvLog.get(c, k).stream().toList(), KvLog.currentRevision(c)));
    }

    @Override
    public RangeResult range(String prefix) {
        byte[] p = Keys.prefix("range", prefix);
        return read("range " + prefix, c -> {
            long current = KvLog.currentRevision(c);
            return new RangeResult(KvLog.range(c, p, Keys.prefixEnd(p), current), current);
        });
    }

    @Override
    public RangeResult rangeAt(String prefix, long at) {
        byte[] p = Keys.prefix("range", prefix);
        if (at <= 0) {
            throw new IllegalArgumentException("revision: " + at + " (expected: > 0)");
        }
        return read("range " + prefix + " at " + at, c -> {
            long current = KvLog.currentRevision(c);
            checkPast(at, current);
            long compacted = KvLog.compactRevision(c);
            if (at < compacted) {
                throw new CompactedException(compacted, at);
            }
            return new RangeResult(KvLog.range(c, p, Keys.prefixEnd(p), at), current);
        });
    }

    @Override
    public long put(String key, byte[] value, long leaseId) {
        Requests.checkPut(key, value);
        return write("put " + key, batch -> {
            checkLease(leaseId);
            batch.put(key, value, leaseId);
            return batch.revision();
        });
    }

    @Override
    public DeleteResult delete(String key) {
        Keys.key("delete", key);
        return write("delete " + key, batch -> new DeleteResult(batch.delete(key), batch.revision()));
    }

    @Override
    public DeleteResult deletePrefix(String prefix) {
        Keys.prefix("deletePrefix", prefix);
        return write("deletePrefix " + prefix, batch -> new DeleteResult(batch.deletePrefix(prefix), batch.revision()));
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        Requests.checkTxn(compares, onSuccess, onFailure);
        return write("txn", batch -> {
            boolean succeeded = true;
            for (Compare compare : compares) {
                succeeded &= compare.holds(batch.get(compare.key()));
            }
            List<Op> ops = succeeded ? onSuccess : onFailure;
            for (Op op : ops) {
                if (op instanceof Op.Put p) {
                    checkLease(p.lease());
                }
            }
            List<LongFunction<OpResult>> pending = new ArrayList<>();
            for (Op op : ops) {
                pending.add(batch.apply(op));
            }
            long after = batch.revision();
            return new TxnResult(succeeded, pending.stream().map(r -> r.apply(after)).toList(), after);
        });
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        Keys.prefix("watch", prefix);
        if (fromRevision < 0) {
            throw new IllegalArgumentException("fromRevision: " + fromRevision + " (expected: >= 0, 0 for from now on)");
        }
        lifecycle.readLock().lock();
        try {
            checkOpen();
            long compacted = compactRevision;
            if (fromRevision != 0 && fromRevision < compacted) {
                throw new CompactedException(compacted, fromRevision);
            }
            return hub.watch(prefix, fromRevision, listener, name);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public Lease grant(Duration ttl) {
        long seconds = Requests.grantedSeconds(ttl);
        return write("grant", batch -> {
            long id = LeaseRows.insert(batch.connection(), seconds);
            batch.afterCommit(() -> leases.add(id, seconds));
            return new Lease(id, Duration.ofSeconds(seconds));
        });
    }

    @Override
    public Duration keepAlive(long leaseId) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return leases.keepAlive(leaseId);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public long revoke(long leaseId) {
        return write("revoke lease " + leaseId, batch -> {
            if (!leases.contains(leaseId)) {
                throw new LeaseNotFoundException(leaseId);
            }
            return endLease(batch, leaseId);
        });
    }

    @Override
    public LeaseStatus timeToLive(long leaseId) {
        return read("timeToLive " + leaseId, c -> {
            LeaseTable.Times times = leases.times(leaseId);
            return new LeaseStatus(leaseId, times.granted(), times.remaining(), KvLog.leaseKeys(c, leaseId));
        });
    }

    @Override
    public void compact(long at) {
        if (at <= 0) {
            throw new IllegalArgumentException("revision: " + at + " (expected: > 0)");
        }
        write("compact " + at, batch -> {
            checkPast(at, revision);
            if (at <= compactRevision) {
                throw new CompactedException(compactRevision, at);
            }
            KvLog.compact(batch.connection(), at);
            batch.afterCommit(() -> compactRevision = at);
            return null;
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        reaper.close();
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            hub.closeAll(new StoreClosedException(name));
            connections.forEach(Database::closeQuietly);
            directoryLock.close();
            log.info("{}: closed at revision {}", name, revision);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return name;
    }

    /** Expires the lease if it is still past its deadline; the reaper's entry point. */
    private void expire(long leaseId) {
        write("expire lease " + leaseId, batch -> {
            if (!leases.expired(leaseId)) {
                return batch.revision();
            }
            return endLease(batch, leaseId);
        });
    }

    /** Deletes the lease and its keys in {@code batch}, one revision for all of them. */
    private long endLease(WriteBatch batch, long leaseId) throws SQLException {
        for (String key : KvLog.leaseKeys(batch.connection(), leaseId)) {
            batch.delete(key);
        }
        LeaseRows.delete(batch.connection(), leaseId);
        batch.afterCommit(() -> leases.remove(leaseId));
        return batch.revision();
    }

    private void checkLease(long leaseId) {
        if (leaseId != 0 && !leases.contains(leaseId)) {
            throw new LeaseNotFoundException(leaseId);
        }
    }

    private static void checkPast(long at, long current) {
        if (at > current) {
            throw new IllegalArgumentException("revision: " + at + " (expected: <= " + current + ", the current revision)");
        }
    }

    private WatchHub.Page history(String prefix, long from) {
        byte[] p = Keys.prefix("watch", prefix);
        byte[] end = Keys.prefixEnd(p);
        return read("watch " + prefix + " from " + from, c -> {
            long compacted = KvLog.compactRevision(c);
            if (from < compacted) {
                throw new CompactedException(compacted, from);
            }
            long upTo = KvLog.currentRevision(c);
            List<LogRow> rows = KvLog.history(c, p, end, from, upTo, HISTORY_PAGE_ROWS);
            long next = upTo + 1;
            if (rows.size() == HISTORY_PAGE_ROWS) {
                long last = rows.getLast().revision();
                if (rows.getFirst().revision() == last) {
                    rows = KvLog.history(c, p, end, last, last, Integer.MAX_VALUE);
                    next = last + 1;
                } else {
                    rows = rows.stream().filter(r -> r.revision() < last).toList();
                    next = last;
                }
            }
            List<WatchBatch> batches = new ArrayList<>();
            List<WatchEvent> events = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                events.add(rows.get(i).event());
                if (i == rows.size() - 1 || rows.get(i + 1).revision() != rows.get(i).revision()) {
                    batches.add(new WatchBatch(rows.get(i).revision(), events));
                    events.clear();
                }
            }
            return new WatchHub.Page(batches, next);
        });
    }

    private interface ReadWork<T> {
        T apply(Connection c) throws SQLException;
    }

    private interface WriteWork<T> {
        T apply(WriteBatch batch) throws SQLException;
    }

    /** Runs {@code work} in one read transaction on a reader, so all it reads is one revision. */
    private <T> T read(String what, ReadWork<T> work) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            Connection c;
            try {
                c = readers.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException(name + ": " + what + ": interrupted");
            }
            try {
                execute(c, "BEGIN");
                try {
                    T result = work.apply(c);
                    execute(c, "COMMIT");
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c);
                    throw e;
                }
            } catch (SQLException e) {
                throw db.failure(what, e);
            } finally {
                readers.add(c);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Runs {@code work} in one write transaction, commits it (durably), then publishes its events,
     * still under the write lock so that watches get revisions in order. A failure rolls
     * everything back: the database, and state kept in memory (changed only after commit).
     */
    private <T> T write(String what, WriteWork<T> work) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            writeLock.lock();
            try {
                WriteBatch batch = new WriteBatch(writer, revision);
                T result;
                try {
                    execute(writer, "BEGIN IMMEDIATE");
                    try {
                        result = work.apply(batch);
                        execute(writer, "COMMIT");
                    } catch (SQLException | RuntimeException | Error e) {
                        rollbackQuietly(writer);
                        throw e;
                    }
                } catch (SQLException e) {
                    throw db.failure(what, e);
                }
                if (batch.changed()) {
                    revision = batch.revision();
                    hub.publish(new WatchBatch(revision, batch.events()));
                }
                batch.committed();
                return result;
            } finally {
                writeLock.unlock();
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreClosedException(name);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private void rollbackQuietly(Connection c) {
        try {
            execute(c, "ROLLBACK");
        } catch (SQLException e) {
            log.debug("{}: rollback after a failure: {}", name, e.getMessage());
        }
    }
}
