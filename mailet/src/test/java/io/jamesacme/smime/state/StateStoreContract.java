package io.jamesacme.smime.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link StateStore} must have. A subclass supplies a fresh, empty store
 * and a second instance on the same storage, which stands for another process or node.
 */
public abstract class StateStoreContract {
    protected static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private static final String ALICE = "alice@example.test";

    protected StateStore store;

    /** Returns a new, empty store. Called once per test. */
    protected abstract StateStore createStore() throws Exception;

    /** Returns another instance on the storage of the last {@link #createStore()}. */
    protected abstract StateStore openSameStore() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = createStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void accountIsStoredOnce() throws Exception {
        AccountRecord first = account("first");
        AccountRecord second = account("second");

        assertThat(store.account()).isEmpty();
        assertThat(store.createAccountIfAbsent(first)).isEqualTo(first);
        assertThat(store.createAccountIfAbsent(second)).isEqualTo(first);
        try (StateStore other = openSameStore()) {
            assertThat(other.account()).contains(first);
        }
    }

    @Test
    void racingAccountCreationsEndWithOneAccount() throws Exception {
        List<AccountRecord> results = race(16, i -> {
            try (StateStore other = openSameStore()) {
                return other.createAccountIfAbsent(account("node-" + i));
            }
        });

        assertThat(results).containsOnly(results.get(0));
        assertThat(store.account()).contains(results.get(0));
    }

    @Test
    void accountIsReplacedOnlyFromTheExpectedOne() throws Exception {
        AccountRecord first = store.createAccountIfAbsent(account("first"));
        AccountRecord registered = first.withAccountUrl("https://ca.test/acct/1");

        store.replaceAccount(first, registered);

        assertThat(store.account()).contains(registered);
        assertThatThrownBy(() -> store.replaceAccount(first, account("stale")))
            .isInstanceOf(StateStoreException.class);
        assertThat(store.account()).contains(registered);
    }

    @Test
    void oneActiveOrderPerAddress() {
        Optional<OrderRecord> first = store.createOrder(id(), ALICE, NOW);

        assertThat(first).isPresent();
        assertThat(first.get().state()).isEqualTo(OrderState.CREATED);
        assertThat(first.get().version()).isEqualTo(1);
        assertThat(store.createOrder(id(), ALICE, NOW)).isEmpty();
        assertThat(store.createOrder(id(), "bob@example.test", NOW)).isPresent();
        assertThat(store.activeOrder(ALICE)).contains(first.get());
    }

    @Test
    void racingOrderCreationsForOneAddressCreateOne() throws Exception {
        List<Optional<OrderRecord>> results = race(16, i -> {
            try (StateStore other = openSameStore()) {
                return other.createOrder(id(), ALICE, NOW);
            }
        });

        assertThat(results.stream().filter(Optional::isPresent)).hasSize(1);
        assertThat(store.activeOrders()).hasSize(1);
    }

    @Test
    void finishedOrderAllowsNewOrder() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.update(first.withState(OrderState.STORED, NOW.plusSeconds(1)));

        Optional<OrderRecord> second = store.createOrder(id(), ALICE, NOW.plusSeconds(2));

        assertThat(second).isPresent();
        assertThat(store.activeOrder(ALICE)).contains(second.get());
        assertThat(store.latestOrder(ALICE)).contains(second.get());
        assertThat(store.order(first.id()).orElseThrow().state()).isEqualTo(OrderState.STORED);
    }

    @Test
    void updateWritesEveryFieldAndBumpsTheVersion() throws Exception {
        OrderRecord created = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord changed = created.withOrderUrl("https://ca.test/order/1", NOW.plusSeconds(1))
            .withChallenge("https://ca.test/chall/1", "token-part-2", "acme-ca@ca.test", NOW.plusSeconds(2))
            .withCertificateKey(new byte[] {1, 2, 3}, NOW.plusSeconds(3))
            .withCertificateChain("-----BEGIN CERTIFICATE-----", NOW.plusSeconds(4))
            .withState(OrderState.ISSUED, NOW.plusSeconds(5));

        OrderRecord written = store.update(changed);

        assertThat(written.version()).isEqualTo(created.version() + 1);
        assertThat(written).isEqualTo(changed.withVersion(created.version() + 1));
        try (StateStore other = openSameStore()) {
            assertThat(other.order(created.id())).contains(written);
        }
    }

    @Test
    void failedOrderKeepsItsReasonAndRetryTime() {
        OrderRecord created = store.createOrder(id(), ALICE, NOW).orElseThrow();

        OrderRecord failed = store.update(created.failed("rateLimited", NOW.plusSeconds(60), NOW));

        assertThat(failed.failure()).contains("rateLimited");
        assertThat(failed.retryAt()).contains(NOW.plusSeconds(60));
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(store.activeOrder(ALICE)).isEmpty();
        assertThat(store.latestOrder(ALICE)).contains(failed);
    }

    @Test
    void staleUpdateIsRejected() {
        OrderRecord created = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.update(created.withState(OrderState.AUTHORIZATION_FETCHED, NOW));

        assertThatThrownBy(() -> store.update(created.withState(OrderState.FAILED, NOW)))
            .isInstanceOf(ConcurrentUpdateException.class);
        assertThat(store.order(created.id()).orElseThrow().state())
            .isEqualTo(OrderState.AUTHORIZATION_FETCHED);
    }

    @Test
    void racingUpdatesOfOneVersionLetOneWin() throws Exception {
        OrderRecord created = store.createOrder(id(), ALICE, NOW).orElseThrow();

        List<Boolean> results = race(16, i -> {
            try (StateStore other = openSameStore()) {
                other.update(created.withState(OrderState.AUTHORIZATION_FETCHED, NOW.plusSeconds(i)));
                return true;
            } catch (ConcurrentUpdateException e) {
                return false;
            }
        });

        assertThat(results.stream().filter(won -> won)).hasSize(1);
        assertThat(store.order(created.id()).orElseThrow().version()).isEqualTo(created.version() + 1);
    }

    @Test
    void updateOfUnknownOrderFails() {
        OrderRecord unknown = OrderRecord.created(id(), ALICE, NOW).withVersion(1);

        assertThatThrownBy(() -> store.update(unknown)).isInstanceOf(StateStoreException.class);
    }

    @Test
    void activeOrdersAreListedOldestFirst() {
        OrderRecord bob = store.createOrder(id(), "bob@example.test", NOW.plusSeconds(5)).orElseThrow();
        OrderRecord alice = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord carol = store.createOrder(id(), "carol@example.test", NOW).orElseThrow();
        store.update(carol.withState(OrderState.STORED, NOW));

        assertThat(store.activeOrders()).extracting(OrderRecord::id).containsExactly(alice.id(), bob.id());
    }

    @Test
    void challengeIsClaimedOnce() {
        assertThat(store.claimChallenge("https://ca.test/chall/1", "node-1", NOW)).isTrue();
        assertThat(store.claimChallenge("https://ca.test/chall/1", "node-1", NOW)).isFalse();
        assertThat(store.claimChallenge("https://ca.test/chall/1", "node-2", NOW)).isFalse();
        assertThat(store.claimChallenge("https://ca.test/chall/2", "node-2", NOW)).isTrue();
    }

    @Test
    void racingClaimsOfOneChallengeLetOneWin() throws Exception {
        List<Boolean> results = race(16, i -> {
            try (StateStore other = openSameStore()) {
                return other.claimChallenge("https://ca.test/chall/1", "node-" + i, NOW);
            }
        });

        assertThat(results.stream().filter(won -> won)).hasSize(1);
    }

    @Test
    void leaseIsHeldUntilItExpires() {
        Duration ttl = Duration.ofSeconds(30);

        assertThat(store.acquireLease("provisioning", "node-1", ttl, NOW)).isTrue();
        assertThat(store.acquireLease("provisioning", "node-2", ttl, NOW.plusSeconds(10))).isFalse();
        assertThat(store.acquireLease("provisioning", "node-1", ttl, NOW.plusSeconds(20))).isTrue();
        assertThat(store.acquireLease("provisioning", "node-2", ttl, NOW.plusSeconds(45))).isFalse();
        assertThat(store.acquireLease("provisioning", "node-2", ttl, NOW.plusSeconds(51))).isTrue();
        assertThat(store.acquireLease("other", "node-1", ttl, NOW.plusSeconds(51))).isTrue();
    }

    @Test
    void releasedLeaseIsFree() {
        Duration ttl = Duration.ofSeconds(30);
        store.acquireLease("provisioning", "node-1", ttl, NOW);

        store.releaseLease("provisioning", "node-2");
        assertThat(store.acquireLease("provisioning", "node-2", ttl, NOW)).isFalse();
        store.releaseLease("provisioning", "node-1");

        assertThat(store.acquireLease("provisioning", "node-2", ttl, NOW)).isTrue();
    }

    @Test
    void racingLeaseTakersLetOneWin() throws Exception {
        List<Boolean> results = race(16, i -> {
            try (StateStore other = openSameStore()) {
                return other.acquireLease("provisioning", "node-" + i, Duration.ofMinutes(1), NOW);
            }
        });

        assertThat(results.stream().filter(won -> won)).hasSize(1);
    }

    @Test
    void ordersAreSeenByAnotherInstance() throws Exception {
        OrderRecord finished = store.createOrder(id(), "bob@example.test", NOW).orElseThrow();
        OrderRecord stored = store.update(finished.withState(OrderState.STORED, NOW));
        OrderRecord active = store.createOrder(id(), ALICE, NOW).orElseThrow();

        try (StateStore other = openSameStore()) {
            assertThat(other.activeOrder(ALICE)).contains(active);
            assertThat(other.latestOrder("bob@example.test")).contains(stored);
            assertThat(other.activeOrder("bob@example.test")).isEmpty();
            assertThat(other.activeOrders()).containsExactly(active);
            assertThat(other.createOrder(id(), ALICE, NOW)).isEmpty();
        }
    }

    @Test
    void olderOrderCannotBeReactivated() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord failed = store.update(first.failed("timeout", NOW, NOW));
        OrderRecord second = store.createOrder(id(), ALICE, NOW.plusSeconds(1)).orElseThrow();

        assertThatThrownBy(() -> store.update(failed.withState(OrderState.CREATED, NOW.plusSeconds(2))))
            .isInstanceOf(StateStoreException.class);
        assertThat(store.order(first.id())).contains(failed);
        assertThat(store.activeOrders()).containsExactly(second);
    }

    @Test
    void olderOrderStaysEndedAfterNewerStored() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord failed = store.update(first.failed("timeout", NOW, NOW));
        OrderRecord second = store.createOrder(id(), ALICE, NOW.plusSeconds(1)).orElseThrow();
        OrderRecord stored = store.update(second.stored(NOW.plusSeconds(2)));

        assertThatThrownBy(() -> store.update(failed.withState(OrderState.CREATED, NOW.plusSeconds(3))))
            .isInstanceOf(StateStoreException.class);
        assertThat(store.order(first.id())).contains(failed);
        assertThat(store.activeOrders()).isEmpty();
        assertThat(store.latestOrder(ALICE)).contains(stored);
    }

    @Test
    void updateKeepsTheAddress() {
        OrderRecord order = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord moved = new OrderRecord(order.id(), "bob@example.test", order.state(),
            order.orderUrl(), order.challengeUrl(), order.tokenPart2(), order.challengeFrom(),
            order.certificateKey(), order.certificateChain(), order.failure(), order.retryAt(),
            order.attempts(), order.version(), order.createdAt(), order.updatedAt());

        assertThatThrownBy(() -> store.update(moved)).isInstanceOf(StateStoreException.class);
        assertThat(store.order(order.id())).contains(order);
        assertThat(store.activeOrder("bob@example.test")).isEmpty();
    }

    @Test
    void claimIsSeenByAnotherInstance() throws Exception {
        assertThat(store.claimChallenge("https://ca.test/chall/1", "node-1", NOW)).isTrue();

        try (StateStore other = openSameStore()) {
            assertThat(other.claimChallenge("https://ca.test/chall/1", "node-2", NOW)).isFalse();
        }
    }

    @Test
    void leaseIsSeenByAnotherInstance() throws Exception {
        Duration ttl = Duration.ofSeconds(30);
        assertThat(store.acquireLease("provisioning", "node-1", ttl, NOW)).isTrue();

        try (StateStore other = openSameStore()) {
            assertThat(other.acquireLease("provisioning", "node-2", ttl, NOW.plusSeconds(10))).isFalse();
            other.releaseLease("provisioning", "node-1");
        }
        assertThat(store.acquireLease("provisioning", "node-2", ttl, NOW.plusSeconds(10))).isTrue();
    }

    @Test
    void rolloverKeyIsStoredAndResolved() throws Exception {
        AccountRecord account = store.createAccountIfAbsent(account("old"))
            .withAccountUrl("https://ca.test/acct/1");
        store.replaceAccount(store.account().orElseThrow(), account);
        AccountRecord pending = account.withNewKey("private-new".getBytes(StandardCharsets.US_ASCII),
            "public-new".getBytes(StandardCharsets.US_ASCII), NOW.plusMillis(500));

        store.replaceAccount(account, pending);

        try (StateStore other = openSameStore()) {
            assertThat(other.account()).contains(pending);
            assertThat(other.account().orElseThrow().hasNewKey()).isTrue();
        }
        AccountRecord rolled = pending.withNewKeyInUse(NOW.plusSeconds(1));
        store.replaceAccount(pending, rolled);
        assertThat(store.account()).contains(rolled);
        assertThat(rolled.publicKey()).isEqualTo("public-new".getBytes(StandardCharsets.US_ASCII));
        assertThat(rolled.accountUrl()).contains("https://ca.test/acct/1");
        assertThat(rolled.hasNewKey()).isFalse();
        assertThatThrownBy(() -> store.replaceAccount(pending, account))
            .isInstanceOf(StateStoreException.class);
    }

    @Test
    void latestStoredOrderOutlivesLaterFailures() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        OrderRecord stored = store.update(first.withCertificateChain("chain-1", NOW).stored(NOW.plusSeconds(1)));
        OrderRecord second = store.createOrder(id(), ALICE, NOW.plusSeconds(2)).orElseThrow();
        store.update(second.failed("no answer", NOW.plusSeconds(3), NOW.plusSeconds(3)));
        OrderRecord third = store.createOrder(id(), ALICE, NOW.plusSeconds(4)).orElseThrow();
        store.update(third.failed("no answer", NOW.plusSeconds(5), NOW.plusSeconds(5)));

        assertThat(store.latestStoredOrder(ALICE)).contains(stored);
        assertThat(store.latestStoredOrder("bob@example.test")).isEmpty();
        try (StateStore other = openSameStore()) {
            assertThat(other.latestStoredOrder(ALICE)).contains(stored);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void newerStoredOrderReplacesOlder() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.update(first.stored(NOW.plusSeconds(1)));
        OrderRecord second = store.createOrder(id(), ALICE, NOW.plusSeconds(2)).orElseThrow();

        OrderRecord stored = store.update(second.stored(NOW.plusSeconds(3)));

        assertThat(store.latestStoredOrder(ALICE)).contains(stored);
    }

    @Test
    void ordersOfAddressAreListedOldestFirst() {
        OrderRecord first = store.createOrder(id(), ALICE, NOW).orElseThrow();
        store.update(first.failed("no answer", NOW, NOW.plusSeconds(1)));
        OrderRecord second = store.createOrder(id(), ALICE, NOW.plusSeconds(2)).orElseThrow();
        store.createOrder(id(), "bob@example.test", NOW.plusSeconds(1));

        assertThat(store.orders(ALICE)).extracting(OrderRecord::id).containsExactly(first.id(), second.id());
        assertThat(store.orders("carol@example.test")).isEmpty();
    }

    @Test
    void claimIsReadBack() {
        assertThat(store.isChallengeClaimed("https://ca.test/chall/1")).isFalse();

        store.claimChallenge("https://ca.test/chall/1", "node-1", NOW);

        assertThat(store.isChallengeClaimed("https://ca.test/chall/1")).isTrue();
        assertThat(store.isChallengeClaimed("https://ca.test/chall/2")).isFalse();
    }

    protected static String id() {
        return UUID.randomUUID().toString();
    }

    protected static AccountRecord account(String name) {
        return new AccountRecord(("private-" + name).getBytes(StandardCharsets.US_ASCII),
            ("public-" + name).getBytes(StandardCharsets.US_ASCII), Optional.empty(), NOW);
    }

    /** Runs {@code task} on {@code threads} threads released at the same moment. */
    protected static <T> List<T> race(int threads, IndexedTask<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                int index = i;
                Callable<T> call = () -> {
                    start.await();
                    return task.run(index);
                };
                futures.add(pool.submit(call));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A task that receives the index of the racing thread that runs it. */
    @FunctionalInterface
    protected interface IndexedTask<T> {
        T run(int index) throws Exception;
    }
}
