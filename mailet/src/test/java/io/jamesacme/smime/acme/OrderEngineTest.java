package io.jamesacme.smime.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.acme.OrderEngine.StepRunner;
import io.jamesacme.smime.state.FileStateStore;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;

/**
 * The scheduling, retry, failure and lease rules of {@link OrderEngine}, with scripted steps on a
 * real file store. The CA-facing steps are tested end to end against the test CA.
 */
class OrderEngineTest {
    private static final String ALICE = "alice@example.test";
    private static final RetryPolicy FAST_RETRIES = new RetryPolicy(3, Duration.ofMillis(50),
        Duration.ofMillis(100));

    @TempDir
    Path folder;

    private StateStore store;
    private ScriptedSteps steps;
    private final List<String> newOrders = new CopyOnWriteArrayList<>();
    private OrderEngine engine;

    @BeforeEach
    void open() {
        store = FileStateStore.open(folder);
        steps = new ScriptedSteps();
        engine = engine("node-1");
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void stepsRunUntilTheOrderIsStored() throws Exception {
        OrderRecord order = createOrder();

        engine.drive(order.id());

        await(() -> state(order) == OrderState.STORED);
        assertThat(steps.runs.get()).isEqualTo(OrderState.STORED.ordinal());
        await(() -> store.acquireLease(OrderEngine.leaseName(order.id()), "node-2", Duration.ofMinutes(1),
            Instant.now()));
    }

    @Test
    void transientErrorIsRetriedInTheSameState() throws Exception {
        steps.failures.add(new IOException("connection refused"));
        steps.failures.add(new IOException("connection reset"));
        OrderRecord order = createOrder();

        engine.drive(order.id());

        await(() -> state(order) == OrderState.STORED);
        OrderRecord stored = store.order(order.id()).orElseThrow();
        assertThat(stored.attempts()).isEqualTo(2);
        assertThat(stored.failure()).isEmpty();
        assertThat(stored.retryAt()).isEmpty();
        assertThat(newOrders).isEmpty();
    }

    @Test
    void retriesAreBoundedPerOrder() throws Exception {
        for (int i = 0; i < 10; i++) {
            steps.failures.add(new IOException("refused " + i));
        }
        OrderRecord order = createOrder();

        engine.drive(order.id());

        await(() -> state(order) == OrderState.FAILED);
        OrderRecord failed = store.order(order.id()).orElseThrow();
        assertThat(failed.attempts()).isEqualTo(3);
        assertThat(failed.failure()).contains("refused 2");
        assertThat(steps.abandoned).containsExactly(order.id());
        assertThat(steps.failures).hasSize(7);
    }

    @Test
    void permanentErrorFailsAtOnce() throws Exception {
        steps.failures.add(new OrderFailedException("the authorization is invalid"));
        OrderRecord order = createOrder();

        engine.drive(order.id());

        await(() -> state(order) == OrderState.FAILED);
        OrderRecord failed = store.order(order.id()).orElseThrow();
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(failed.failure()).contains("the authorization is invalid");
        assertThat(newOrders).isEmpty();
    }

    @Test
    void restartErrorStartsANewOrder() throws Exception {
        steps.failures.add(new OrderRestartException("stopped before the response"));
        OrderRecord order = createOrder();

        engine.drive(order.id());

        await(() -> !newOrders.isEmpty());
        assertThat(state(order)).isEqualTo(OrderState.FAILED);
        assertThat(newOrders).containsExactly(ALICE);
    }

    @Test
    void orderLeasedByAnotherNodeIsLeftAlone() throws Exception {
        OrderRecord order = createOrder();
        assertThat(store.acquireLease(OrderEngine.leaseName(order.id()), "node-2", Duration.ofHours(1),
            Instant.now())).isTrue();

        engine.drive(order.id());
        Thread.sleep(300);

        assertThat(steps.runs.get()).isZero();
        assertThat(state(order)).isEqualTo(OrderState.CREATED);
    }

    @Test
    void expiredLeaseOfStoppedNodeIsTakenOver() throws Exception {
        OrderRecord order = createOrder();
        assertThat(store.acquireLease(OrderEngine.leaseName(order.id()), "node-2", Duration.ofMillis(300),
            Instant.now())).isTrue();
        assertThat(engine.resumeActiveOrders()).isEqualTo(1);
        Thread.sleep(400);

        assertThat(engine.resumeActiveOrders()).isEqualTo(1);

        await(() -> state(order) == OrderState.STORED);
    }

    @Test
    void restartedNodeResumesItsOwnOrders() throws Exception {
        OrderRecord order = createOrder();
        steps.stopAt = OrderState.ANSWERED;
        engine.drive(order.id());
        await(() -> state(order) == OrderState.ANSWERED);

        // The first engine stands for a stopped James: it holds the lease but runs nothing more.
        steps.stopAt = null;
        engine("node-2").resumeActiveOrders();
        Thread.sleep(300);
        assertThat(state(order)).isEqualTo(OrderState.ANSWERED);

        // The same node id after a restart holds the lease that its previous run took.
        engine("node-1").resumeActiveOrders();

        await(() -> state(order) == OrderState.STORED);
    }

    @Test
    void stepWaitsForItsRetryTime() throws Exception {
        OrderRecord created = createOrder();
        Instant later = Instant.now().plusMillis(500);
        store.update(created.notBefore(later, Instant.now()));

        engine.drive(created.id());
        Thread.sleep(250);

        assertThat(steps.runs.get()).isZero();
        await(() -> state(created) == OrderState.STORED);
        assertThat(steps.firstRunAt).isAfterOrEqualTo(later);
    }

    @Test
    void wakeRunsAWaitingStepAtOnce() throws Exception {
        OrderRecord order = createOrder();
        steps.waitAt = OrderState.AUTHORIZATION_FETCHED;
        engine.drive(order.id());
        await(() -> state(order) == OrderState.AUTHORIZATION_FETCHED && steps.waits.get() > 0);
        int waits = steps.waits.get();

        engine.wake(order.id());

        await(() -> steps.waits.get() > waits);
    }

    @Test
    void concurrentWriteMakesTheStepRunAgain() throws Exception {
        OrderRecord order = createOrder();
        steps.interfere = true;

        engine.drive(order.id());

        await(() -> state(order) == OrderState.STORED);
        assertThat(store.order(order.id()).orElseThrow().failure()).isEmpty();
    }

    /**
     * The configuration allows a lease of twice {@code acme.timeout}, and the engine renews the
     * lease only once less than half of it is left. A step that starts just before that point
     * has one timeout of lease left. A step of two requests, each within the timeout, then
     * outlives the lease, and the next resume on another node runs the same step concurrently.
     */
    @Test
    void leaseOutlivesAStepOfTwoRequests() throws Exception {
        Duration acmeTimeout = Duration.ofSeconds(1);
        Duration lease = acmeTimeout.multipliedBy(2);
        SlowStep slow = new SlowStep(lease.dividedBy(2).minusMillis(100),
            acmeTimeout.multipliedBy(2).minusMillis(200));
        OrderEngine first = leasedEngine("node-1", slow, lease);
        OrderEngine second = leasedEngine("node-2", slow, lease);
        OrderRecord order = createOrder();

        first.drive(order.id());
        await(() -> slow.running.get() == 1);
        // node-2 looks for orders every half lease, and this look comes after node-1's lease ran out.
        Thread.sleep(lease.toMillis() - lease.dividedBy(2).toMillis() + 300);
        second.resumeActiveOrders();
        Thread.sleep(500);

        assertThat(slow.maxRunning.get())
            .as("steps of one order running at the same time on node-1 and node-2")
            .isEqualTo(1);
    }

    private OrderEngine leasedEngine(String nodeId, StepRunner runner, Duration lease) {
        return new OrderEngine(store, runner, FAST_RETRIES, Duration.ofHours(1), 2, lease,
            Clock.systemUTC(), nodeId, newOrders::add);
    }

    private OrderEngine engine(String nodeId) {
        return new OrderEngine(store, steps, FAST_RETRIES, Duration.ofHours(1), 2, Duration.ofSeconds(5),
            Clock.systemUTC(), nodeId, newOrders::add);
    }

    private OrderRecord createOrder() {
        return store.createOrder(UUID.randomUUID().toString(), ALICE, Instant.now()).orElseThrow();
    }

    private OrderState state(OrderRecord order) {
        return store.order(order.id()).orElseThrow().state();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(10);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("The condition did not hold within 10 s");
            }
            Thread.sleep(20);
        }
    }

    /**
     * A step that first waits {@code firstWait}, as an order waiting for its mail does, and then
     * works for {@code work} without writing, as sending the CSR does. It counts how many runs of
     * the order overlap.
     */
    private static final class SlowStep implements StepRunner {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        private final AtomicInteger calls = new AtomicInteger();
        private final Duration firstWait;
        private final Duration work;

        SlowStep(Duration firstWait, Duration work) {
            this.firstWait = firstWait;
            this.work = work;
        }

        @Override
        public Optional<Duration> run(OrderRecord record) {
            if (calls.getAndIncrement() == 0) {
                return Optional.of(firstWait);
            }
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(work.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                running.decrementAndGet();
            }
            return Optional.of(Duration.ofHours(1));
        }

        @Override
        public void abandon(OrderRecord failed) {
        }
    }

    /**
     * Moves an order one state further per run, until STORED. Queued failures are thrown first,
     * one per run.
     */
    private final class ScriptedSteps implements StepRunner {
        final List<Exception> failures = new CopyOnWriteArrayList<>();
        final List<String> abandoned = new CopyOnWriteArrayList<>();
        final AtomicInteger runs = new AtomicInteger();
        final AtomicInteger waits = new AtomicInteger();
        volatile OrderState stopAt;
        volatile OrderState waitAt;
        volatile boolean interfere;
        volatile Instant firstRunAt;

        @Override
        public Optional<Duration> run(OrderRecord record) throws IOException, OrderFailedException {
            if (firstRunAt == null) {
                firstRunAt = Instant.now();
            }
            if (!failures.isEmpty()) {
                Exception failure = failures.remove(0);
                if (failure instanceof IOException io) {
                    throw io;
                }
                throw (OrderFailedException) failure;
            }
            if (record.state() == stopAt) {
                return Optional.of(Duration.ofHours(1));
            }
            if (record.state() == waitAt) {
                waits.incrementAndGet();
                return Optional.of(Duration.ofHours(1));
            }
            if (interfere) {
                interfere = false;
                // Another writer, such as the responder, changes the record first.
                store.update(record.notBefore(Instant.now(), Instant.now()));
            }
            runs.incrementAndGet();
            OrderState next = OrderState.values()[record.state().ordinal() + 1];
            OrderRecord written = store.update(next == OrderState.STORED
                ? record.stored(Instant.now()) : record.advancedTo(next, Instant.now()));
            return written.state() == OrderState.STORED ? Optional.empty() : Optional.of(Duration.ZERO);
        }

        @Override
        public void abandon(OrderRecord failed) {
            abandoned.add(failed.id());
        }
    }
}
