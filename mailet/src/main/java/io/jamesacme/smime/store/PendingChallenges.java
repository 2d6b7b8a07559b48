package io.jamesacme.smime.store;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.mail.internet.InternetAddress;

/**
 * The orders this server started and whose challenge is not answered yet, by address.
 *
 * <p>An order is opened before the CA is asked for it, and its challenge details are filled
 * in once the authorization is fetched. Some CAs mail the challenge as soon as the
 * authorization is fetched, so a challenge mail may arrive while the details are still
 * unknown; {@link PendingOrder#challenge()} lets the responder wait for them without
 * blocking the mail pipeline.
 */
public class PendingChallenges {
    /** How many closed orders are remembered, to name the reason for a late challenge mail. */
    static final int CLOSED_HISTORY = 10_000;

    private final ConcurrentMap<String, PendingOrder> orders = new ConcurrentHashMap<>();
    private final Map<String, Closure> closed = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Closure> eldest) {
            return size() > CLOSED_HISTORY;
        }
    };

    /** Opens an order for the address, or returns empty when one is open already. */
    public Optional<PendingOrder> open(String address) {
        PendingOrder order = new PendingOrder(address);
        PendingOrder existing = orders.putIfAbsent(key(address), order);
        return existing == null ? Optional.of(order) : Optional.empty();
    }

    public Optional<PendingOrder> find(String address) {
        return Optional.ofNullable(orders.get(key(address)));
    }

    /** Returns true when an order is open for the address; the matcher's cheap lookup. */
    public boolean isOpen(String address) {
        return orders.containsKey(key(address));
    }

    /**
     * Closes the order. A challenge mail arriving later finds no pending order, and
     * {@link #lastClosure(String)} returns how the order ended.
     */
    public void close(PendingOrder order) {
        if (orders.remove(key(order.address()), order)) {
            Closure closure = order.isAnswered() ? Closure.ANSWERED
                : order.expired ? Closure.EXPIRED : Closure.FAILED;
            synchronized (closed) {
                closed.remove(key(order.address()));
                closed.put(key(order.address()), closure);
            }
        }
        order.challenge.cancel(false);
    }

    /** Returns how the last closed order of the address ended, if it is still remembered. */
    public Optional<Closure> lastClosure(String address) {
        synchronized (closed) {
            return Optional.ofNullable(closed.get(key(address)));
        }
    }

    private static String key(String address) {
        return address.toLowerCase(Locale.ROOT);
    }

    /** The details of an {@code email-reply-00} challenge that the response needs. */
    public record ChallengeDetails(String orderUrl, String challengeUrl, String tokenPart2,
                                   InternetAddress from) {
        @Override
        public String toString() {
            return "ChallengeDetails[orderUrl=" + orderUrl + ", challengeUrl=" + challengeUrl
                + ", from=" + from.getAddress() + "]";
        }
    }

    /** The way a closed order ended. */
    public enum Closure {
        /** Its challenge was answered; the order may have succeeded or failed afterwards. */
        ANSWERED,
        /** Its challenge window passed, or the CA expired it, before it was answered. */
        EXPIRED,
        /** It failed before its challenge was answered. */
        FAILED
    }

    /** One open order. */
    public static final class PendingOrder {
        private final String address;
        private final CompletableFuture<ChallengeDetails> challenge = new CompletableFuture<>();
        private final AtomicBoolean answered = new AtomicBoolean();
        private final Instant openedAt = Instant.now();
        private volatile boolean expired;

        PendingOrder(String address) {
            this.address = address;
        }

        /** Returns when this server opened the order, before it asked the CA for it. */
        public Instant openedAt() {
            return openedAt;
        }

        public String address() {
            return address;
        }

        /** Records the challenge details and releases a responder waiting for them. */
        public void challengeReady(ChallengeDetails details) {
            challenge.complete(details);
        }

        /** Completes once the challenge details are known; cancelled when the order closes. */
        public CompletableFuture<ChallengeDetails> challenge() {
            return challenge;
        }

        /**
         * Claims the right to answer the challenge. Only the first caller gets true, so a
         * challenge is answered at most once even when two copies arrive together.
         */
        public boolean claim() {
            return answered.compareAndSet(false, true);
        }

        public boolean isAnswered() {
            return answered.get();
        }

        /** Records that the challenge expired unanswered, before the order closes. */
        public void markExpired() {
            expired = true;
        }
    }
}
