package dev.trellis.controlplane.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL over the log of revisions, as kine lays it out: a key's current value is its latest
 * row, unless that row is a deletion; its value at revision R is its latest row at or below R.
 * Names are stored as UTF-8 BLOBs so that SQLite's memcmp order is etcd's byte order and a prefix
 * is an index range.
 */
final class KvLog {
    private static final String COLUMNS =
            "revision, name, created, deleted, create_revision, prev_revision, version, lease, value, old_lease, old_value";

    private KvLog() {}

    /** The highest revision written: every revision has at least one row, and compaction keeps the newest. */
    static long currentRevision(Connection c) throws SQLException {
        return single(c, "SELECT COALESCE(MAX(revision), 0) FROM kv_log");
    }

    static long compactRevision(Connection c) throws SQLException {
        return single(c, "SELECT revision FROM compaction");
    }

    /** {@code key}'s current value. */
    static Optional<KeyValue> get(Connection c, byte[] key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM kv_log WHERE name = ? ORDER BY revision DESC LIMIT 1")) {
            s.setBytes(1, key);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                LogRow row = row(r);
                return row.deleted() ? Optional.empty() : Optional.of(row.kv());
            }
        }
    }

    /** The values of the keys in [from, to) as of {@code revision}, sorted. */
    static List<KeyValue> range(Connection c, byte[] from, byte[] to, long revision) throws SQLException {
        String sql = "SELECT " + prefixed("l.") + " FROM kv_log l"
                + " JOIN (SELECT name, MAX(revision) AS revision FROM kv_log"
                + "       WHERE name >= ? AND name < ? AND revision <= ? GROUP BY name) m"
                + " ON l.name = m.name AND l.revision = m.revision"
                + " WHERE l.deleted = 0 ORDER BY l.name";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setBytes(1, from);
            s.setBytes(2, to);
            s.setLong(3, revision);
            List<KeyValue> kvs = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    kvs.add(row(r).kv());
                }
            }
            return kvs;
        }
    }

    /** The keys whose current value is attached to {@code lease}, sorted. */
    static List<String> leaseKeys(Connection c, long lease) throws SQLException {
        String sql = "SELECT l.name FROM kv_log l WHERE l.lease = ? AND l.lease != 0 AND l.deleted = 0"
                + " AND l.revision = (SELECT MAX(m.revision) FROM kv_log m WHERE m.name = l.name) ORDER BY l.name";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, lease);
            List<String> keys = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    keys.add(new String(r.getBytes(1), StandardCharsets.UTF_8));
                }
            }
            return keys;
        }
    }

    static void append(Connection c, LogRow row) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO kv_log (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setLong(1, row.revision());
            s.setBytes(2, row.name().getBytes(StandardCharsets.UTF_8));
            s.setBoolean(3, row.created());
            s.setBoolean(4, row.deleted());
            s.setLong(5, row.createRevision());
            s.setLong(6, row.prevRevision());
            s.setLong(7, row.version());
            s.setLong(8, row.lease());
            s.setBytes(9, row.value());
            s.setLong(10, row.oldLease());
            s.setBytes(11, row.oldValue());
            s.executeUpdate();
        }
    }

    /**
     * Up to {@code limit} rows for keys in [from, to) with revisions in [fromRevision, toRevision],
     * in revision order and, within a revision, in the order they were written.
     */
    static List<LogRow> history(Connection c, byte[] from, byte[] to, long fromRevision, long toRevision, int limit) throws SQLException {
        String sql = "SELECT " + COLUMNS + " FROM kv_log INDEXED BY kv_log_revision"
                + " WHERE revision >= ? AND revision <= ? AND name >= ? AND name < ? ORDER BY revision, id LIMIT ?";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, fromRevision);
            s.setLong(2, toRevision);
            s.setBytes(3, from);
            s.setBytes(4, to);
            s.setInt(5, limit);
            List<LogRow> rows = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(row(r));
                }
            }
            return rows;
        }
    }

    /**
     * Drops the rows below {@code revision} that no read at or above it can see: every deletion,
     * and every row that a later one below {@code revision} replaced.
     */
    static void compact(Connection c, long revision) throws SQLException {
        String sql = "DELETE FROM kv_log WHERE revision < ?1 AND (deleted = 1 OR revision <"
                + " (SELECT MAX(m.revision) FROM kv_log m WHERE m.name = kv_log.name AND m.revision < ?1))";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, revision);
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE compaction SET revision = ?")) {
            s.setLong(1, revision);
            s.executeUpdate();
        }
    }

    private static LogRow row(ResultSet r) throws SQLException {
        byte[] oldValue = r.getBytes(11);
        return new LogRow(r.getLong(1), new String(r.getBytes(2), StandardCharsets.UTF_8), r.getBoolean(3), r.getBoolean(4),
                r.getLong(5), r.getLong(6), r.getLong(7), r.getLong(8), nonNull(r.getBytes(9)), r.getLong(10), nonNull(oldValue));
    }

    /** SQLite hands back an empty BLOB as NULL. */
    private static byte[] nonNull(byte[] bytes) {
        return bytes == null ? new byte[0] : bytes;
    }

    private static String prefixed(String alias) {
        return alias + COLUMNS.replace(", ", ", " + alias);
    }

    private static long single(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }
}
