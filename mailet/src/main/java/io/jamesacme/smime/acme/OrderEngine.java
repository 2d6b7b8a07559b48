package io.jamesacme.smime.acme;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.state.ConcurrentUpdateException;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.StateStore;
import io.jamesacme.smime.state.StateStoreException;

/**
 * Drives the active orders that this node holds the lease of, one step at a time, on a pool of
 * {@code provisioning.concurrency} threads. A step that waits gives its thread back and runs
 * again later, so hundreds of orders can wait for their challenge mails at once.
 *
 * <p>Each order has a lease {@code order:<id>} in the store. The node that holds it runs the
 * order's steps, and a node that cannot take it leaves the order alone. A lease runs out
 * {@link #leaseDuration} after its last renewal, so the orders of a node that died are taken
 * over by the next {@link #resumeActiveOrders()} of another node, or of the same node after a
 * restart, which keeps its node id. A step renews its lease before it starts when half of it has
 * passed, and a separate thread renews the leases of running steps every third of the lease, so
 * a slow step never outlives its lease while its node is alive.
 *
 * <p>A transient error (see {@link RetryPolicy}) keeps the order in its state and retries the
 * step after a backoff, up to {@code retry.max-attempts} attempts per order. Any other error
 * fails the order.
 */
final class OrderEngine {
    private static final Logger LOGGER = LoggerFactory.getLogger(OrderEngine.class);

    /** Delay before a step runs again after the store failed. */
    private static final Duration STORE_ERROR_DELAY = Duration.ofSeconds(5);

    private final StateStore store;
    private final StepRunner steps;
    private final RetryPolicy retryPolicy;
    private final Duration failedRetryDelay;
    private final Clock clock;
    private final String nodeId;
    private final Duration leaseDuration;
    private final Consumer<String> newOrder;
    private final ScheduledExecutorService executor;
    private final ScheduledExecutorService leaseKeeper;
    /** The orders whose step is running on this node now. */
    private final Set<String> stepsRunning = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> leaseExpiry = new ConcurrentHashMap<>();
    /** The orders this node drives, by id. Guarded by {@code this}. */
    private final Map<String, Driven> driven = new HashMap<>();

    /**
     * @param failedRetryDelay the time after which a failed order may be replaced by a new one,
     *     recorded as the failed order's retry time
     * @param newOrder starts a new order for an address, after an order that must be replaced
     */
    OrderEngine(StateStore store, StepRunner steps, RetryPolicy retryPolicy, Duration failedRetryDelay,
                int threads, Duration leaseDuration, Clock clock, String nodeId, Consumer<String> newOrder) {
        this.store = store;
        this.steps = steps;
        this.retryPolicy = retryPolicy;
        this.failedRetryDelay = failedRetryDelay;
        this.clock = clock;
        this.nodeId = nodeId;
        this.newOrder = newOrder;
        this.leaseDuration = leaseDuration;
        AtomicInteger counter = new AtomicInteger();
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(threads, runnable -> {
            Thread thread = new Thread(runnable, "acme-smime-order-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        pool.setRemoveOnCancelPolicy(true);
        this.executor = pool;
        // Its own thread, so that steps that occupy every pool thread cannot hold up renewals.
        this.leaseKeeper = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "acme-smime-order-leases");
            thread.setDaemon(true);
            return thread;
        });
        long renewal = Math.max(1, leaseDuration.toMillis() / 3);
        leaseKeeper.scheduleWithFixedDelay(this::renewLeasesOfRunningSteps, renewal, renewal,
            TimeUnit.MILLISECONDS);
    }

    Duration leaseDuration() {
        return leaseDuration;
    }

    /** Starts driving the order on this node, unless it does already. */
    synchronized void drive(String id) {
        if (driven.containsKey(id)) {
            return;
        }
        Driven order = new Driven();
        driven.put(id, order);
        order.next = executor.schedule(() -> run(id), 0, TimeUnit.MILLISECONDS);
    }

    /** Runs the next step of an order this node drives now instead of at its scheduled time. */
    synchronized void wake(String id) {
        Driven order = driven.get(id);
        if (order == null) {
            return;
        }
        if (order.running) {
            order.wakeAgain = true;
            return;
        }
        order.next.cancel(false);
        order.next = executor.schedule(() -> run(id), 0, TimeUnit.MILLISECONDS);
    }

    /**
     * Drives every active order of the store whose lease is free, ran out, or is this node's.
     *
     * @return how many active orders the store has
     */
    int resumeActiveOrders() {
        List<OrderRecord> active = store.activeOrders();
        for (OrderRecord order : active) {
            drive(order.id());
        }
        return active.size();
    }

    private void run(String id) {
        synchronized (this) {
            Driven order = driven.get(id);
            if (order == null || order.running) {
                return;
            }
            order.running = true;
            order.wakeAgain = false;
        }
        Optional<Duration> next;
        stepsRunning.add(id);
        try {
            next = advance(id);
        } catch (StateStoreException e) {
            LOGGER.error("The state store failed while running order {}; the step runs again in {}", id,
                STORE_ERROR_DELAY, e);
            next = Optional.of(STORE_ERROR_DELAY);
        } catch (RuntimeException | Error e) {
            LOGGER.error("Running order {} failed unexpectedly; the step runs again in {}", id,
                STORE_ERROR_DELAY, e);
            next = Optional.of(STORE_ERROR_DELAY);
        } finally {
            stepsRunning.remove(id);
        }
        synchronized (this) {
            Driven order = driven.get(id);
            order.running = false;
            if (next.isEmpty()) {
                driven.remove(id);
                return;
            }
            long delay = order.wakeAgain ? 0 : Math.max(0, next.get().toMillis());
            order.next = executor.schedule(() -> run(id), delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Runs one step of the order if this node holds its lease; empty stops driving it. */
    private Optional<Duration> advance(String id) {
        Instant now = clock.instant();
        if (!holdLease(id, now)) {
            LOGGER.debug("Order {} is driven by another node", id);
            return Optional.empty();
        }
        Optional<OrderRecord> stored = store.order(id);
        if (stored.isEmpty() || !stored.get().state().isActive()) {
            releaseLease(id);
            return Optional.empty();
        }
        OrderRecord record = stored.get();
        Optional<Instant> notBefore = record.retryAt();
        if (notBefore.isPresent() && now.isBefore(notBefore.get())) {
            return Optional.of(Duration.between(now, notBefore.get()));
        }
        if (record.failure().isPresent() && notBefore.isPresent()) {
            LOGGER.info("Attempt {} of the order for {} (order id {}, state {})", record.attempts() + 1,
                record.address(), id, record.state());
            record = store.update(record.withoutRetryTime(now));
        }

        try {
            Optional<Duration> next = steps.run(record);
            if (next.isEmpty()) {
                releaseLease(id);
            }
            return next;
        } catch (ConcurrentUpdateException e) {
            // Another thread or node wrote the order meanwhile, such as the challenge's responder.
            return Optional.of(Duration.ZERO);
        } catch (OrderRestartException e) {
            Optional<Duration> next = fail(record, e.getMessage(), e);
            if (next.isEmpty()) {
                LOGGER.info("Starting a new order for {} to replace order {}", record.address(), id);
                newOrder.accept(record.address());
            }
            return next;
        } catch (OrderFailedException e) {
            return fail(record, e.getMessage(), e);
        } catch (StateStoreException e) {
            throw e;
        } catch (AcmeException | IOException | RuntimeException e) {
            return retryOrFail(record, e);
        }
    }

    private Optional<Duration> retryOrFail(OrderRecord record, Exception error) {
        Instant now = clock.instant();
        String reason = String.valueOf(error.getMessage());
        Optional<Instant> next = retryPolicy.nextAttemptTime(record.attempts() + 2, error, now);
        if (next.isEmpty()) {
            return fail(record, reason, error);
        }
        try {
            store.update(record.retrying(reason, next.get(), now));
        } catch (ConcurrentUpdateException e) {
            return Optional.of(Duration.ZERO);
        }
        LOGGER.warn("Order {} for {} failed in state {} on attempt {} of {}: {}; the next attempt starts at {}",
            record.orderUrl().orElse(record.id()), record.address(), record.state(), record.attempts() + 1,
            retryPolicy.maxAttempts(), reason, next.get());
        return Optional.of(Duration.between(now, next.get()));
    }

    /** Writes the order as failed and ends its lease; empty unless another writer came first. */
    private Optional<Duration> fail(OrderRecord record, String reason, Exception cause) {
        Instant now = clock.instant();
        try {
            store.update(record.failed(reason, now.plus(failedRetryDelay), now));
        } catch (ConcurrentUpdateException e) {
            return Optional.of(Duration.ZERO);
        }
        LOGGER.error("Order {} for {} failed in state {}: {}", record.orderUrl().orElse(record.id()),
            record.address(), record.state(), reason, cause);
        steps.abandon(record);
        releaseLease(record.id());
        return Optional.empty();
    }

    private boolean holdLease(String id, Instant now) {
        Instant expiry = leaseExpiry.get(id);
        if (expiry != null && now.isBefore(expiry.minus(leaseDuration.dividedBy(2)))) {
            return true;
        }
        if (store.acquireLease(leaseName(id), nodeId, leaseDuration, now)) {
            leaseExpiry.put(id, now.plus(leaseDuration));
            return true;
        }
        leaseExpiry.remove(id);
        return false;
    }

    private void renewLeasesOfRunningSteps() {
        for (String id : stepsRunning) {
            Instant now = clock.instant();
            try {
                if (store.acquireLease(leaseName(id), nodeId, leaseDuration, now)) {
                    leaseExpiry.put(id, now.plus(leaseDuration));
                } else {
                    LOGGER.warn("Node {} lost the lease of order {} while a step of it runs", nodeId, id);
                }
            } catch (RuntimeException e) {
                LOGGER.error("Renewing the lease of order {} failed", id, e);
            }
        }
    }

    private void releaseLease(String id) {
        leaseExpiry.remove(id);
        store.releaseLease(leaseName(id), nodeId);
    }

    static String leaseName(String orderId) {
        return "order:" + orderId;
    }

    /** The steps of the orders; {@link OrderSteps} with a CA, a script in tests. */
    interface StepRunner {
        /**
         * Runs the step of the record's state and writes its result.
         *
         * @return the delay before the next step, or empty once the order has ended
         */
        Optional<Duration> run(OrderRecord record) throws AcmeException, IOException, OrderFailedException;

        /** Cleans up at the CA after the order failed; failures are logged, not raised. */
        void abandon(OrderRecord failed);
    }

    /** The scheduling of one order on this node. */
    private static final class Driven {
        ScheduledFuture<?> next;
        boolean running;
        boolean wakeAgain;
    }
}
