package io.jamesacme.smime.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A {@link StateStore} in PostgreSQL, shared by several James nodes.
 *
 * <p>Each node opens its own instance with a HikariCP connection pool. Opening applies the
 * pending Flyway migrations of {@code db/acme-smime/postgresql}, which record their history in
 * {@code acme_smime_schema_history}. Flyway holds a PostgreSQL advisory lock while it migrates,
 * so nodes that start together migrate once. The database enforces the cross-node rules: a
 * partial unique index allows one active order per address, the primary key of the claims
 * table lets one claim per challenge URL succeed, and leases are taken with
 * {@code INSERT ... ON CONFLICT DO UPDATE}, which locks the lease row.
 *
 * <p>Instants are stored to the microsecond, the precision of {@code timestamptz}, and the
 * nanoseconds below are dropped. The account key and certificate keys are stored unencrypted
 * as {@code bytea}, so access to the database must be restricted like access to those keys.
 */
public final class PostgresStateStore implements StateStore {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresStateStore.class);
    private static final AtomicInteger POOL_COUNT = new AtomicInteger();

    private static final String UNIQUE_VIOLATION = "23505";

    private final HikariDataSource pool;
    private final String name;

    private PostgresStateStore(HikariDataSource pool, String name) {
        this.pool = pool;
        this.name = name;
    }

    /**
     * Migrates the schema to the latest version and opens a connection pool.
     *
     * @throws StateStoreException when the database cannot be reached or migrated
     */
    public static PostgresStateStore open(PostgresSettings settings) {
        String name = "PostgreSQL state store " + settings.safeUrl();
        PGSimpleDataSource dataSource = dataSource(settings, name);
        String schemaVersion = PostgresMigrations.migrate(dataSource, name);
        HikariDataSource pool = pool(settings, dataSource, name);
        LOGGER.info("Opened {} as user {}: schema version {}, at most {} connections", name,
            settings.user(), schemaVersion, settings.maxPoolSize());
        return new PostgresStateStore(pool, name);
    }

    @Override
    public Optional<AccountRecord> account() {
        return withConnection("read the account", PostgresAccountTable::select);
    }

    @Override
    public AccountRecord createAccountIfAbsent(AccountRecord candidate) {
        return withConnection("create the account", connection -> {
            PostgresAccountTable.insertIfAbsent(connection, candidate);
            // A conflicting insert waits until the racing one commits, so this SELECT reads its row.
            return PostgresAccountTable.select(connection)
                .orElseThrow(() -> new StateStoreException(name + ": the account vanished after its creation"));
        });
    }

    @Override
    public void replaceAccount(AccountRecord expected, AccountRecord replacement) {
        int replaced = withConnection("replace the account",
            connection -> PostgresAccountTable.replace(connection, expected, replacement));
        if (replaced == 0) {
            throw new StateStoreException(name + ": the stored account is not the expected one, so it was"
                + " not replaced; read it again");
        }
    }

    @Override
    public Optional<OrderRecord> createOrder(String id, String address, Instant now) {
        return withConnection("create an order for " + address,
            connection -> PostgresOrderTable.insert(connection, id, address, now));
    }

    @Override
    public Optional<OrderRecord> order(String id) {
        return withConnection("read order " + id, connection -> PostgresOrderTable.byId(connection, id));
    }

    @Override
    public Optional<OrderRecord> activeOrder(String address) {
        return withConnection("read the active order of " + address,
            connection -> PostgresOrderTable.activeByAddress(connection, address));
    }

    @Override
    public Optional<OrderRecord> latestOrder(String address) {
        return withConnection("read the latest order of " + address,
            connection -> PostgresOrderTable.latestByAddress(connection, address));
    }

    @Override
    public Optional<OrderRecord> latestStoredOrder(String address) {
        return withConnection("read the stored order of " + address,
            connection -> PostgresOrderTable.latestStoredByAddress(connection, address));
    }

    @Override
    public List<OrderRecord> orders(String address) {
        return withConnection("list the orders of " + address,
            connection -> PostgresOrderTable.byAddress(connection, address));
    }

    @Override
    public List<OrderRecord> activeOrders() {
        return withConnection("list the active orders", PostgresOrderTable::active);
    }

    @Override
    public OrderRecord update(OrderRecord record) {
        return withConnection("update order " + record.id(), connection -> {
            Optional<OrderRecord> written;
            try {
                written = PostgresOrderTable.update(connection, record);
            } catch (SQLException e) {
                if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw new StateStoreException(name + ": order " + record.id() + " cannot become "
                        + record.state() + " because " + record.address() + " has another active order", e);
                }
                throw e;
            }
            if (written.isPresent()) {
                return written.get();
            }
            Optional<OrderRecord> stored = PostgresOrderTable.byId(connection, record.id());
            if (stored.isEmpty()) {
                throw new StateStoreException(name + ": order " + record.id() + " not found");
            }
            if (stored.get().version() != record.version()) {
                throw new ConcurrentUpdateException(record.id(), record.version(), stored.get().version());
            }
            if (!stored.get().address().equals(record.address())) {
                throw new StateStoreException(name + ": order " + record.id() + " belongs to "
                    + stored.get().address() + ", and an update cannot change the address to "
                    + record.address());
            }
            throw new StateStoreException(name + ": order " + record.id() + " of " + record.address()
                + " cannot become active again: it is no longer the latest order of the address");
        });
    }

    @Override
    public boolean claimChallenge(String challengeUrl, String claimant, Instant now) {
        return withConnection("claim challenge " + challengeUrl, connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO acme_smime_challenge_claims (challenge_url, claimant, claimed_at)"
                    + " VALUES (?, ?, ?) ON CONFLICT (challenge_url) DO NOTHING")) {
                insert.setString(1, challengeUrl);
                insert.setString(2, claimant);
                PostgresOrderTable.setInstant(insert, 3, now);
                return insert.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean isChallengeClaimed(String challengeUrl) {
        return withConnection("read the claim of " + challengeUrl, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM acme_smime_challenge_claims WHERE challenge_url = ?")) {
                select.setString(1, challengeUrl);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    @Override
    public boolean acquireLease(String leaseName, String owner, Duration ttl, Instant now) {
        // On a conflict PostgreSQL locks the existing row and updates it only if it expired or
        // belongs to owner. A racing taker waits for the winner's commit and then updates nothing.
        return withConnection("acquire lease " + leaseName, connection -> {
            try (PreparedStatement upsert = connection.prepareStatement(
                "INSERT INTO acme_smime_leases AS lease (name, owner, expires_at) VALUES (?, ?, ?)"
                    + " ON CONFLICT (name) DO UPDATE"
                    + " SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at"
                    + " WHERE lease.owner = EXCLUDED.owner OR lease.expires_at <= ?")) {
                upsert.setString(1, leaseName);
                upsert.setString(2, owner);
                PostgresOrderTable.setInstant(upsert, 3, now.plus(ttl));
                PostgresOrderTable.setInstant(upsert, 4, now);
                return upsert.executeUpdate() == 1;
            }
        });
    }

    @Override
    public void releaseLease(String leaseName, String owner) {
        withConnection("release lease " + leaseName, connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM acme_smime_leases WHERE name = ? AND owner = ?")) {
                delete.setString(1, leaseName);
                delete.setString(2, owner);
                return delete.executeUpdate();
            }
        });
    }

    /** Closes the connection pool. */
    @Override
    public void close() {
        if (!pool.isClosed()) {
            pool.close();
            LOGGER.info("Closed {}", name);
        }
    }

    @Override
    public String toString() {
        return "PostgresStateStore[" + name + "]";
    }

    private <T> T withConnection(String operation, SqlWork<T> work) {
        try (Connection connection = pool.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw new StateStoreException(name + ": failed to " + operation + " (SQL state " + e.getSQLState()
                + "): " + e.getMessage(), e);
        }
    }

    private static PGSimpleDataSource dataSource(PostgresSettings settings, String name) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        try {
            dataSource.setURL(settings.jdbcUrl());
        } catch (IllegalArgumentException e) {
            throw new StateStoreException(name + ": invalid JDBC URL", e);
        }
        dataSource.setUser(settings.user());
        if (!settings.password().isEmpty()) {
            dataSource.setPassword(settings.password());
        }
        dataSource.setApplicationName("james-acme-smime");
        // Error details can quote row values, such as a key in a rejected insert.
        dataSource.setLogServerErrorDetail(false);
        return dataSource;
    }

    private static HikariDataSource pool(PostgresSettings settings, DataSource dataSource, String name) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("acme-smime-state-" + POOL_COUNT.incrementAndGet());
        config.setDataSource(dataSource);
        config.setMaximumPoolSize(settings.maxPoolSize());
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StateStoreException(name + ": failed to open the connection pool: " + e.getMessage(), e);
        }
    }

    /** One step of JDBC work on a pooled connection. */
    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
