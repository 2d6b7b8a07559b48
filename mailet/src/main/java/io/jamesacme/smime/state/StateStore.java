package io.jamesacme.smime.state;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable state of the extension: the ACME account, the orders and their steps, the claims on
 * challenges and the leases that share work between James nodes. Every method is atomic and
 * safe to call from several threads, and from several processes or nodes on the same store.
 * A failure to read or write raises {@link StateStoreException}.
 *
 * <p>Two implementations pass the same contract tests: a folder of files for one node, the
 * embedded default, and PostgreSQL for several nodes.
 */
public interface StateStore extends AutoCloseable {

    /** Returns the account, if one was stored. */
    Optional<AccountRecord> account();

    /**
     * Stores {@code candidate} as the account unless one exists already, and returns the stored
     * one. Of several nodes that race with new keys, all end with the same account.
     */
    AccountRecord createAccountIfAbsent(AccountRecord candidate);

    /**
     * Replaces the account, for a key rollover or for the account URL.
     *
     * @throws StateStoreException when the stored account is not {@code expected}
     */
    void replaceAccount(AccountRecord expected, AccountRecord replacement);

    /**
     * Creates an order in {@link OrderState#CREATED} for the address unless an active one exists.
     * At most one active order per address exists at any time, across nodes.
     *
     * @return the new order with version 1, or empty when an active order exists
     */
    Optional<OrderRecord> createOrder(String id, String address, Instant now);

    /** Returns the order with the id. */
    Optional<OrderRecord> order(String id);

    /** Returns the active order of the address, if any. */
    Optional<OrderRecord> activeOrder(String address);

    /** Returns the most recent order of the address, active or not. */
    Optional<OrderRecord> latestOrder(String address);

    /**
     * Returns the most recent order of the address in {@link OrderState#STORED}: the one that
     * stored the address's current certificate.
     */
    Optional<OrderRecord> latestStoredOrder(String address);

    /** Returns every order of the address, oldest first. */
    List<OrderRecord> orders(String address);

    /** Returns every active order, oldest first, for resuming after a restart. */
    List<OrderRecord> activeOrders();

    /**
     * Writes the record if the stored version is still {@code record.version()}, and returns it
     * with the next version.
     *
     * @throws ConcurrentUpdateException when the stored version differs
     * @throws StateStoreException when the order does not exist
     */
    OrderRecord update(OrderRecord record);

    /**
     * Claims the right to respond to a challenge. Only the first claim for a challenge URL ever
     * returns true, whichever thread, process or node makes it.
     */
    boolean claimChallenge(String challengeUrl, String claimant, Instant now);

    /** Returns true when the challenge URL has been claimed, by any node. */
    boolean isChallengeClaimed(String challengeUrl);

    /**
     * Takes or renews a named lease until {@code now + ttl}. Returns true when {@code owner}
     * holds the lease afterwards: it was free, expired, or already held by {@code owner}.
     */
    boolean acquireLease(String name, String owner, Duration ttl, Instant now);

    /** Gives a lease back if {@code owner} holds it, and does nothing otherwise. */
    void releaseLease(String name, String owner);

    /** Releases files, connections and locks. */
    @Override
    void close();
}
