package io.jamesacme.smime.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.jamesacme.testpostgres.PostgresTestServer;
import io.jamesacme.testpostgres.TestDatabase;

/**
 * Runs the store contract against a real PostgreSQL server, plus the cases that only a shared
 * database has: schema migrations, several nodes with their own pools, and statements that
 * wait on another transaction's row lock.
 */
class PostgresStateStoreTest extends StateStoreContract {
    @RegisterExtension
    static final PostgresTestServer POSTGRES = new PostgresTestServer();

    /** Small, so that the contract's 16 racing nodes stay within the server's connections. */
    private static final int POOL_SIZE = 2;
    private static final String ALICE = "alice@example.test";
    private static final long LOCK_WAIT_SECONDS = 10;

    private PostgresSettings settings;

    @Override
    protected StateStore createStore() throws SQLException {
        settings = settings(POSTGRES.newSchema(), POOL_SIZE);
        return PostgresStateStore.open(settings);
    }

    @Override
    protected StateStore openSameStore() {
        return PostgresStateStore.open(settings);
    }

    private static final String[] MIGRATIONS = {"1 create state tables true",
        "2 account key rollover true"};

    @Test
    void migrationsAreRecordedInOrder() throws SQLException {
        assertThat(migrations()).containsExactly(MIGRATIONS);
        assertThat(tables()).containsExactly("acme_smime_account", "acme_smime_challenge_claims",
            "acme_smime_leases", "acme_smime_orders", "acme_smime_schema_history");
    }

    @Test
    void reopeningMigratedDatabaseChangesNothing() throws SQLException {
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.close();

        store = PostgresStateStore.open(settings);
        try (StateStore again = PostgresStateStore.open(settings)) {
            assertThat(again.order(order.id())).contains(order);
        }

        assertThat(migrations()).containsExactly(MIGRATIONS);
        assertThat(store.activeOrders()).containsExactly(order);
    }

    @Test
    void nodesStartingTogetherMigrateOnce() throws Exception {
        settings = settings(POSTGRES.newSchema(), POOL_SIZE);

        List<Boolean> opened = race(4, i -> {
            try (StateStore node = PostgresStateStore.open(settings)) {
                return node.claimChallenge("https://ca.test/chall/start", "node-" + i, NOW);
            }
        });

        assertThat(opened.stream().filter(won -> won)).hasSize(1);
        assertThat(migrations()).containsExactly(MIGRATIONS);
    }

    @Test
    void openMigratesWithForeignContextClassLoader() throws SQLException {
        settings = settings(POSTGRES.newSchema(), POOL_SIZE);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // James' threads carry a context class loader that cannot see extensions-jars/.
        thread.setContextClassLoader(ClassLoader.getPlatformClassLoader());
        try (StateStore node = PostgresStateStore.open(settings)) {
            assertThat(node.createOrder(id(), ALICE, NOW)).isPresent();
        } finally {
            thread.setContextClassLoader(previous);
        }

        assertThat(migrations()).containsExactly(MIGRATIONS);
    }

    @Test
    void twoNodesShareClaimsOrdersAndLeases() throws Exception {
        List<String> addresses = List.of("a@example.test", "b@example.test", "c@example.test", "d@example.test");
        try (StateStore first = PostgresStateStore.open(settings);
             StateStore second = PostgresStateStore.open(settings)) {
            List<StateStore> nodes = List.of(first, second);

            List<List<String>> won = race(8, i -> {
                StateStore node = nodes.get(i % 2);
                List<String> wins = new ArrayList<>();
                for (String address : addresses) {
                    if (node.claimChallenge("https://ca.test/chall/" + address, "node-" + i, NOW)) {
                        wins.add("claim " + address);
                    }
                    if (node.createOrder(id(), address, NOW).isPresent()) {
                        wins.add("order " + address);
                    }
                    if (node.acquireLease("lease " + address, "node-" + i, Duration.ofMinutes(1), NOW)) {
                        wins.add("lease " + address);
                    }
                }
                return wins;
            });

            Map<String, Long> winsPerItem = won.stream().flatMap(List::stream)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(winsPerItem).hasSize(addresses.size() * 3);
            assertThat(winsPerItem.values()).containsOnly(1L);

            // Each node has its own pool: closing one leaves the other working.
            first.close();
            assertThat(second.activeOrders()).hasSize(addresses.size());
        }
    }

    @Test
    void claimWaitingOnCommittedClaimReturnsFalse() throws Exception {
        String url = "https://ca.test/chall/locked";
        try (Connection other = connect(settings)) {
            other.setAutoCommit(false);
            insertClaim(other, url);

            CompletableFuture<Boolean> claim = CompletableFuture.supplyAsync(
                () -> store.claimChallenge(url, "node-1", NOW));
            awaitLockWait();
            other.commit();

            assertThat(claim.get(LOCK_WAIT_SECONDS, TimeUnit.SECONDS)).isFalse();
        }
    }

    @Test
    void claimWaitingOnRolledBackClaimReturnsTrue() throws Exception {
        String url = "https://ca.test/chall/locked";
        try (Connection other = connect(settings)) {
            other.setAutoCommit(false);
            insertClaim(other, url);

            CompletableFuture<Boolean> claim = CompletableFuture.supplyAsync(
                () -> store.claimChallenge(url, "node-1", NOW));
            awaitLockWait();
            other.rollback();

            assertThat(claim.get(LOCK_WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void orderCreationWaitingOnCommittedOrderReturnsEmpty() throws Exception {
        try (Connection other = connect(settings)) {
            other.setAutoCommit(false);
            try (PreparedStatement insert = other.prepareStatement("INSERT INTO acme_smime_orders"
                + " (id, address, state, attempts, version, created_at, updated_at)"
                + " VALUES ('other-node', ?, 'CREATED', 0, 1, now(), now())")) {
                insert.setString(1, ALICE);
                insert.executeUpdate();
            }

            CompletableFuture<Optional<OrderRecord>> creation = CompletableFuture.supplyAsync(
                () -> store.createOrder(id(), ALICE, NOW));
            awaitLockWait();
            other.commit();

            assertThat(creation.get(LOCK_WAIT_SECONDS, TimeUnit.SECONDS)).isEmpty();
            assertThat(store.activeOrder(ALICE).orElseThrow().id()).isEqualTo("other-node");
        }
    }

    @Test
    void leaseWaitingOnLockReturnsFalse() throws Exception {
        Duration ttl = Duration.ofSeconds(30);
        assertThat(store.acquireLease("provisioning", "node-1", ttl, NOW)).isTrue();
        Instant afterExpiry = NOW.plusSeconds(31);
        try (Connection other = connect(settings)) {
            other.setAutoCommit(false);
            assertThat(acquireLeaseInTransaction(other, "node-3", afterExpiry.plusSeconds(60))).isEqualTo(1);

            CompletableFuture<Boolean> acquire = CompletableFuture.supplyAsync(
                () -> store.acquireLease("provisioning", "node-2", ttl, afterExpiry));
            awaitLockWait();
            other.commit();

            assertThat(acquire.get(LOCK_WAIT_SECONDS, TimeUnit.SECONDS)).isFalse();
        }
        assertThat(store.acquireLease("provisioning", "node-3", ttl, afterExpiry)).isTrue();
    }

    @Test
    void secondActiveOrderByUpdateIsRejected() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord failed = store.update(first.failed("rateLimited", NOW.plusSeconds(60), NOW));
        store.createOrder(id(), ALICE, NOW.plusSeconds(1)).orElseThrow();

        assertThatThrownBy(() -> store.update(failed.withState(OrderState.CREATED, NOW.plusSeconds(2))))
            .isInstanceOf(StateStoreException.class)
            .isNotInstanceOf(ConcurrentUpdateException.class)
            .hasMessageContaining(ALICE)
            .hasMessageContaining("no longer the latest order");
        assertThat(store.order(first.id()).orElseThrow().state()).isEqualTo(OrderState.FAILED);
    }

    @Test
    void duplicateOrderIdIsRejected() {
        String id = id();
        store.createOrder(id, ALICE, NOW).orElseThrow();

        assertThatThrownBy(() -> store.createOrder(id, "bob@example.test", NOW))
            .isInstanceOf(StateStoreException.class)
            .hasMessageContaining("23505");
        assertThat(store.activeOrder("bob@example.test")).isEmpty();
    }

    @Test
    void instantsKeepMicroseconds() {
        Instant precise = NOW.plusNanos(123_456_789);

        OrderRecord created = store.createOrder(id(), ALICE, precise).orElseThrow();

        assertThat(created.createdAt()).isEqualTo(NOW.plusNanos(123_456_000));
        assertThat(store.order(created.id()).orElseThrow().updatedAt()).isEqualTo(NOW.plusNanos(123_456_000));
    }

    @Test
    void activePredicateMatchesOrderState() {
        List<String> finalStates = Arrays.stream(OrderState.values()).filter(state -> !state.isActive())
            .map(state -> "'" + state.name() + "'").toList();

        assertThat(PostgresOrderTable.ACTIVE).isEqualTo("state NOT IN (" + String.join(", ", finalStates) + ")");
    }

    @Test
    void wrongPasswordFailsWithoutShowingIt() {
        assumeThat(POSTGRES.isThrowaway()).as("the throwaway server asks for a password").isTrue();
        String wrong = "wrong-password-4711";
        PostgresSettings bad = new PostgresSettings(settings.jdbcUrl(), settings.user(), wrong, POOL_SIZE);

        assertThatThrownBy(() -> PostgresStateStore.open(bad))
            .isInstanceOf(StateStoreException.class)
            .hasMessageContaining(bad.safeUrl())
            .satisfies(e -> assertThat(causeMessages(e)).doesNotContain(wrong));
    }

    @Test
    void openFailsForUnreachableServer() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        PostgresSettings unreachable = new PostgresSettings("jdbc:postgresql://127.0.0.1:" + port + "/none",
            "nobody", "", POOL_SIZE);

        assertThatThrownBy(() -> PostgresStateStore.open(unreachable))
            .isInstanceOf(StateStoreException.class)
            .hasMessageContaining("127.0.0.1:" + port);
    }

    @Test
    void settingsAndStoreHideThePassword() {
        PostgresSettings secret = new PostgresSettings("jdbc:postgresql://127.0.0.1/db?password=in-url",
            "james", "s3cret-value", 4);

        assertThat(secret.toString()).doesNotContain("s3cret-value").doesNotContain("in-url");
        assertThat(store.toString()).doesNotContain(settings.password()).contains("PostgreSQL");
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThatThrownBy(() -> new PostgresSettings("jdbc:mysql://127.0.0.1/db", "james", "", 4))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("jdbc:postgresql:");
        assertThatThrownBy(() -> new PostgresSettings("jdbc:postgresql://127.0.0.1/db", "james", "", 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("maxPoolSize 0");
    }

    private List<String> migrations() throws SQLException {
        return query("SELECT version || ' ' || description || ' ' || success FROM acme_smime_schema_history"
            + " ORDER BY installed_rank");
    }

    private List<String> tables() throws SQLException {
        return query("SELECT table_name FROM information_schema.tables"
            + " WHERE table_schema = current_schema() ORDER BY table_name");
    }

    private List<String> query(String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection connection = connect(settings);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }

    private static void insertClaim(Connection connection, String url) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO acme_smime_challenge_claims"
            + " (challenge_url, claimant, claimed_at) VALUES (?, 'other-node', now())")) {
            insert.setString(1, url);
            insert.executeUpdate();
        }
    }

    private static int acquireLeaseInTransaction(Connection connection, String owner, Instant expiresAt)
        throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
            "UPDATE acme_smime_leases SET owner = ?, expires_at = ? WHERE name = 'provisioning'")) {
            update.setString(1, owner);
            PostgresOrderTable.setInstant(update, 2, expiresAt);
            return update.executeUpdate();
        }
    }

    /** Waits until a statement of the store waits for a row that another transaction has locked. */
    private void awaitLockWait() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LOCK_WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            List<String> waiting = query("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                + " AND application_name = 'james-acme-smime'");
            if (!waiting.isEmpty()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("No store statement waited for a lock within " + LOCK_WAIT_SECONDS + " s");
    }

    private static String causeMessages(Throwable error) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            messages.append(cause).append('\n');
        }
        return messages.toString();
    }

    private static PostgresSettings settings(TestDatabase database, int poolSize) {
        return new PostgresSettings(database.jdbcUrl(), database.user(), database.password(), poolSize);
    }

    private static Connection connect(PostgresSettings settings) throws SQLException {
        return PostgresTestServer.connect(new TestDatabase(settings.jdbcUrl(), settings.user(), settings.password()));
    }
}
