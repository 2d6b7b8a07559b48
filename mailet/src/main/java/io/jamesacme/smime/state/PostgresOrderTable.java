package io.jamesacme.smime.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL and row mapping of the table {@code acme_smime_orders}. Every method runs one statement
 * on the given connection.
 */
final class PostgresOrderTable {
    /**
     * The condition for active orders. It is the predicate of the partial unique index in V1,
     * so that queries with it can use the index.
     */
    static final String ACTIVE = "state NOT IN ('STORED', 'FAILED')";

    private static final String COLUMNS = "id, address, state, order_url, challenge_url, token_part2,"
        + " challenge_from, certificate_key, certificate_chain, failure, retry_at, attempts, version,"
        + " created_at, updated_at";

    private static final String INSERT = "INSERT INTO acme_smime_orders (id, address, state, attempts,"
        + " version, created_at, updated_at) VALUES (?, ?, ?, 0, 1, ?, ?)"
        + " ON CONFLICT (address) WHERE " + ACTIVE + " DO NOTHING RETURNING " + COLUMNS;

    /**
     * Writes a new version of an order. The address never changes, and an ended order becomes
     * active again only while no newer order of its address exists, as in the file store.
     */
    private static final String UPDATE = "UPDATE acme_smime_orders AS o SET state = ?,"
        + " order_url = ?, challenge_url = ?, token_part2 = ?, challenge_from = ?, certificate_key = ?,"
        + " certificate_chain = ?, failure = ?, retry_at = ?, attempts = ?, version = version + 1,"
        + " created_at = ?, updated_at = ? WHERE id = ? AND version = ? AND address = ?"
        + " AND (o.state NOT IN ('STORED', 'FAILED') OR ? IN ('STORED', 'FAILED')"
        + " OR NOT EXISTS (SELECT 1 FROM acme_smime_orders newer WHERE newer.address = o.address"
        + " AND (newer.created_at, newer.seq) > (o.created_at, o.seq)))"
        + " RETURNING " + COLUMNS;

    private static final String SELECT = "SELECT " + COLUMNS + " FROM acme_smime_orders";

    private PostgresOrderTable() {
    }

    /** Inserts a new order, or returns empty when the address has an active order. */
    static Optional<OrderRecord> insert(Connection connection, String id, String address, Instant now)
        throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
            statement.setString(1, id);
            statement.setString(2, address);
            statement.setString(3, OrderState.CREATED.name());
            setInstant(statement, 4, now);
            setInstant(statement, 5, now);
            return readOne(statement);
        }
    }

    /**
     * Writes every field if the stored version is {@code record.version()}, the address is the
     * stored one and the rule of {@link #UPDATE} allows the state, else returns empty.
     */
    static Optional<OrderRecord> update(Connection connection, OrderRecord record) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(UPDATE)) {
            statement.setString(1, record.state().name());
            statement.setString(2, record.orderUrl().orElse(null));
            statement.setString(3, record.challengeUrl().orElse(null));
            statement.setString(4, record.tokenPart2().orElse(null));
            statement.setString(5, record.challengeFrom().orElse(null));
            statement.setBytes(6, record.certificateKey().orElse(null));
            statement.setString(7, record.certificateChain().orElse(null));
            statement.setString(8, record.failure().orElse(null));
            setInstant(statement, 9, record.retryAt().orElse(null));
            statement.setInt(10, record.attempts());
            setInstant(statement, 11, record.createdAt());
            setInstant(statement, 12, record.updatedAt());
            statement.setString(13, record.id());
            statement.setLong(14, record.version());
            statement.setString(15, record.address());
            statement.setString(16, record.state().name());
            return readOne(statement);
        }
    }

    static Optional<OrderRecord> byId(Connection connection, String id) throws SQLException {
        return selectOne(connection, SELECT + " WHERE id = ?", id);
    }

    static Optional<OrderRecord> activeByAddress(Connection connection, String address) throws SQLException {
        return selectOne(connection, SELECT + " WHERE address = ? AND " + ACTIVE, address);
    }

    static Optional<OrderRecord> latestByAddress(Connection connection, String address) throws SQLException {
        return selectOne(connection, SELECT + " WHERE address = ? ORDER BY created_at DESC, seq DESC LIMIT 1",
            address);
    }

    static Optional<OrderRecord> latestStoredByAddress(Connection connection, String address)
        throws SQLException {
        return selectOne(connection, SELECT + " WHERE address = ? AND state = 'STORED'"
            + " ORDER BY created_at DESC, seq DESC LIMIT 1", address);
    }

    static List<OrderRecord> byAddress(Connection connection, String address) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
            SELECT + " WHERE address = ? ORDER BY created_at, seq")) {
            statement.setString(1, address);
            return readAll(statement);
        }
    }

    /** Returns the active orders, oldest first, and in insertion order for equal instants. */
    static List<OrderRecord> active(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
            SELECT + " WHERE " + ACTIVE + " ORDER BY created_at, seq")) {
            return readAll(statement);
        }
    }

    /**
     * Binds an instant as timestamptz. PostgreSQL keeps microseconds, so the nanoseconds below
     * them are dropped here rather than rounded by the driver.
     */
    static void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException {
        if (instant == null) {
            statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            statement.setObject(index, OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS),
                ZoneOffset.UTC));
        }
    }

    static Instant getInstant(ResultSet rows, String column) throws SQLException {
        OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static Optional<OrderRecord> selectOne(Connection connection, String sql, String parameter)
        throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            return readOne(statement);
        }
    }

    private static Optional<OrderRecord> readOne(PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            return rows.next() ? Optional.of(read(rows)) : Optional.empty();
        }
    }

    private static List<OrderRecord> readAll(PreparedStatement statement) throws SQLException {
        List<OrderRecord> records = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                records.add(read(rows));
            }
        }
        return records;
    }

    private static OrderRecord read(ResultSet rows) throws SQLException {
        return new OrderRecord(rows.getString("id"), rows.getString("address"),
            OrderState.valueOf(rows.getString("state")), Optional.ofNullable(rows.getString("order_url")),
            Optional.ofNullable(rows.getString("challenge_url")),
            Optional.ofNullable(rows.getString("token_part2")),
            Optional.ofNullable(rows.getString("challenge_from")),
            Optional.ofNullable(rows.getBytes("certificate_key")),
            Optional.ofNullable(rows.getString("certificate_chain")),
            Optional.ofNullable(rows.getString("failure")),
            Optional.ofNullable(getInstant(rows, "retry_at")), rows.getInt("attempts"),
            rows.getLong("version"), getInstant(rows, "created_at"), getInstant(rows, "updated_at"));
    }
}
