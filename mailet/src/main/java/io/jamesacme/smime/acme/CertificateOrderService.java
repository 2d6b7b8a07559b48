package io.jamesacme.smime.acme;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;
import io.jamesacme.smime.store.CertificateState;
import io.jamesacme.smime.store.CertificateStatus;

/**
 * Starts certificate orders, one active order per address across every node that shares the
 * state store, and reports their status. The orders run in an {@link OrderEngine}; the
 * challenge mail is answered by the mail pipeline of whichever node receives it.
 */
public class CertificateOrderService {
    private static final Logger LOGGER = LoggerFactory.getLogger(CertificateOrderService.class);
    /** The states in which the CA may still check a response computed with the account key. */
    private static final Set<OrderState> VALIDATING = EnumSet.of(OrderState.CHALLENGE_RECEIVED,
        OrderState.ANSWERED, OrderState.TRIGGERED);

    private final AccountManager accounts;
    private final StateStore store;
    private final CertificateFiles certificateFiles;
    private final Clock clock;
    private final String nodeId;
    private final OrderEngine engine;
    /** The end of validity of stored chains, by order id; a stored chain never changes. */
    private final Map<String, Instant> notAfterByOrder = new ConcurrentHashMap<>();

    public CertificateOrderService(AcmeSmimeConfiguration configuration, AccountManager accounts,
                                   StateStore store, Clock clock) {
        this.accounts = accounts;
        this.store = store;
        this.certificateFiles = new CertificateFiles(configuration.storageDirectory(),
            configuration.passphraseSource());
        this.clock = clock;
        this.nodeId = configuration.nodeId();
        OrderSteps steps = new OrderSteps(configuration, accounts, store, certificateFiles, clock);
        this.engine = new OrderEngine(store, steps, configuration.retry(),
            configuration.provisioning().interval(), configuration.provisioning().concurrency(),
            configuration.leaseDuration(), clock, nodeId, this::request);
    }

    /**
     * Starts an order for the address unless one is active on any node, and returns the status.
     * The order itself runs in the background.
     */
    public CertificateStatus request(String address) {
        String key = normalize(address);
        Optional<OrderRecord> created = store.createOrder(UUID.randomUUID().toString(), key,
            clock.instant());
        if (created.isEmpty()) {
            LOGGER.debug("An order for {} is already active", key);
        } else {
            LOGGER.info("Created order {} for {} on node {}", created.get().id(), key, nodeId);
            engine.drive(created.get().id());
        }
        return status(key);
    }

    /** Returns the status of the address from its latest order and its stored certificate. */
    public CertificateStatus status(String address) {
        String key = normalize(address);
        Optional<OrderRecord> latest = store.latestOrder(key);
        if (latest.isEmpty()) {
            return CertificateStatus.none(key);
        }
        OrderRecord order = latest.get();
        // The latest order is often the stored one, which saves a second read.
        Optional<OrderRecord> stored = order.state() == OrderState.STORED ? latest
            : store.latestStoredOrder(key);
        Optional<Instant> notAfter = stored.map(this::notAfter);
        // A step waiting for its retry, or a failed order that a new one may replace from then on.
        boolean retryScheduled = order.failure().isPresent() && (order.state().isActive()
            || order.state() == OrderState.FAILED);
        return new CertificateStatus(key, CertificateState.of(order.state()), Optional.of(order.id()),
            Optional.of(order.state()), order.orderUrl(), notAfter, order.failure(),
            stored.map(ignored -> certificateFiles.keyStore(key)), order.updatedAt(),
            retryScheduled ? order.retryAt() : Optional.empty());
    }

    /** Returns every order of the address, oldest first. */
    public List<OrderRecord> orders(String address) {
        return store.orders(normalize(address));
    }

    /** Returns the public key of the ACME account, the key the key authorization depends on. */
    public PublicKey accountPublicKey() {
        return accounts.publicKey();
    }

    /**
     * Runs the next step of an order whose challenge was answered on this node, so that the
     * trigger follows the trigger delay without waiting for the next look at the store. An order
     * driven by another node is seen there at its next look.
     */
    public void answered(OrderRecord order) {
        engine.wake(order.id());
    }

    /**
     * Drives the active orders whose lease is free or ran out: after a restart, and after
     * another node stopped.
     *
     * @return how many active orders the store has
     */
    public int resumeActiveOrders() {
        return engine.resumeActiveOrders();
    }

    /**
     * Replaces the ACME account key, as {@link AccountManager#rolloverKey()} describes.
     *
     * @throws IllegalStateException while an order is between its answer and the CA's
     *     validation, because the CA checks the response against the account key it has then,
     *     or while an earlier rollover is in progress
     */
    public String rolloverAccountKey() throws AcmeException {
        List<String> validating = store.activeOrders().stream()
            .filter(order -> VALIDATING.contains(order.state()))
            .map(order -> order.address() + " (" + order.state() + ")")
            .toList();
        if (!validating.isEmpty()) {
            throw new IllegalStateException("Orders wait for the CA to validate a response made with the"
                + " current key: " + String.join(", ", validating) + ". Try again when they are done.");
        }
        return accounts.rolloverKey();
    }

    public String nodeId() {
        return nodeId;
    }

    /** Returns how long a lease on an order lasts without renewal. */
    public Duration leaseDuration() {
        return engine.leaseDuration();
    }

    private Instant notAfter(OrderRecord stored) {
        return notAfterByOrder.computeIfAbsent(stored.id(), id -> {
            List<X509Certificate> chain = AcmeResources.parseChain(stored.certificateChain().orElseThrow());
            return chain.get(0).getNotAfter().toInstant();
        });
    }

    private static String normalize(String address) {
        return address.toLowerCase(Locale.ROOT);
    }
}
