package dev.trellis.controlplane.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQLite file of the embedded store: opens connections set up for durability (WAL,
 * synchronous=FULL), creates or checks the schema, and turns SQLite's errors into ones that name
 * the file.
 */
final class Database {
    /** "TRLS" in SQLite's header, so a file of some other program is refused rather than written. */
    static final int APPLICATION_ID = 0x54524C53;
    static final int SCHEMA_VERSION = 1;

    private static final List<String> SCHEMA = List.of(
            // kine's log of revisions; a txn writing n keys adds n rows with one revision, in op order (id).
            """
            CREATE TABLE kv_log (
              id INTEGER PRIMARY KEY,
              revision INTEGER NOT NULL,
              name BLOB NOT NULL,
              created INTEGER NOT NULL,
              deleted INTEGER NOT NULL,
              create_revision INTEGER NOT NULL,
              prev_revision INTEGER NOT NULL,
              version INTEGER NOT NULL,
              lease INTEGER NOT NULL,
              value BLOB,
              old_lease INTEGER NOT NULL,
              old_value BLOB)""",
            "CREATE INDEX kv_log_revision ON kv_log (revision)",
            // Unique: one revision never writes a key twice (etcd refuses such a txn).
            "CREATE UNIQUE INDEX kv_log_name ON kv_log (name, revision)",
            "CREATE INDEX kv_log_lease ON kv_log (lease) WHERE lease != 0",
            // AUTOINCREMENT: a lease id is never handed out twice, even after a revoke.
            "CREATE TABLE lease (id INTEGER PRIMARY KEY AUTOINCREMENT, ttl_seconds INTEGER NOT NULL)",
            "CREATE TABLE compaction (revision INTEGER NOT NULL)",
            "INSERT INTO compaction (revision) VALUES (0)",
            "PRAGMA application_id = " + APPLICATION_ID,
            "PRAGMA user_version = " + SCHEMA_VERSION);

    private final Path file;

    Database(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** A new connection, every commit of which is on disk (fsynced WAL) before it returns. */
    Connection connect() {
        Connection c = null;
        try {
            c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                try (ResultSet r = s.executeQuery("PRAGMA journal_mode = WAL")) {
                    String mode = r.next() ? r.getString(1) : "";
                    if (!mode.equalsIgnoreCase("wal")) {
                        throw new SQLException("journal_mode: " + mode + " (expected: wal)");
                    }
                }
                s.execute("PRAGMA synchronous = FULL");
            }
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw new StoreException("store " + file + ": cannot open: " + e.getMessage() + " (expected: the SQLite database of a Trellis store)", e);
        }
    }

    /** Creates the schema in a new, empty file, or checks that the file holds a sound store of this version. */
    void prepare(Connection c) {
        try (Statement s = c.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                long applicationId = single(s, "PRAGMA application_id");
                long tables = single(s, "SELECT COUNT(*) FROM sqlite_schema");
                if (applicationId == 0 && tables == 0) {
                    for (String sql : SCHEMA) {
                        s.execute(sql);
                    }
                } else if (applicationId != APPLICATION_ID) {
                    throw new StoreException("store " + file + ": not a Trellis store (SQLite application_id 0x"
                            + Long.toHexString(applicationId) + ", expected: 0x" + Integer.toHexString(APPLICATION_ID) + ")");
                } else if (single(s, "PRAGMA user_version") != SCHEMA_VERSION) {
                    throw new StoreException("store " + file + ": schema version " + single(s, "PRAGMA user_version")
                            + " (expected: " + SCHEMA_VERSION + "); was it written by another Trellis version?");
                }
                s.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                s.execute("ROLLBACK");
                throw e;
            }
            List<String> problems = new ArrayList<>();
            try (ResultSet r = s.executeQuery("PRAGMA quick_check")) {
                while (r.next()) {
                    problems.add(r.getString(1));
                }
            }
            if (!problems.equals(List.of("ok"))) {
                throw new StoreException("store " + file + ": corrupt: " + String.join("; ", problems));
            }
        } catch (SQLException e) {
            throw failure("cannot read", e);
        }
    }

    StoreException failure(String action, SQLException e) {
        return new StoreException("store " + file + ": " + action + ": " + e.getMessage(), e);
    }

    static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing after a failure; the failure is what gets reported
            }
        }
    }

    private static long single(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getLong(1) : 0;
        }
    }
}
