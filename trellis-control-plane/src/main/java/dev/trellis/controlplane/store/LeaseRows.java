package dev.trellis.controlplane.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SQL over the lease table. Only ids and granted ttls are stored: deadlines live in memory,
 * because a restart gives every lease its full ttl again, as etcd does.
 */
final class LeaseRows {
    private LeaseRows() {}

    static long insert(Connection c, long ttlSeconds) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO lease (ttl_seconds) VALUES (?) RETURNING id")) {
            s.setLong(1, ttlSeconds);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    static void delete(Connection c, long id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM lease WHERE id = ?")) {
            s.setLong(1, id);
            s.executeUpdate();
        }
    }

    /** Every lease's granted ttl in seconds, by id. */
    static Map<Long, Long> all(Connection c) throws SQLException {
        Map<Long, Long> leases = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT id, ttl_seconds FROM lease ORDER BY id"); ResultSet r = s.executeQuery()) {
            while (r.next()) {
                leases.put(r.getLong(1), r.getLong(2));
            }
        }
        return leases;
    }
}
