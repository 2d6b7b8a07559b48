package io.jamesacme.smime.acme;

import java.io.IOException;
import java.net.URL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.rfc8823.EmailReply00Challenge;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;

/**
 * The step of each order state: one short exchange with the CA, whose result is written to the
 * store before the next step starts. A step makes its requests and returns, and never sleeps
 * until the CA or a mail is ready. A state that has to wait returns the delay after which its
 * step should run again. {@link IssuanceSteps} runs the steps from {@link OrderState#VALID} on.
 *
 * <p>The challenge mail moves an order from {@link OrderState#AUTHORIZATION_FETCHED} to
 * {@link OrderState#ANSWERED} on whichever node receives it, so that step only checks the
 * timeout here.
 */
final class OrderSteps implements OrderEngine.StepRunner {
    private static final Logger LOGGER = LoggerFactory.getLogger(OrderSteps.class);

    /** The identifier type of RFC 8823. */
    static final String EMAIL_IDENTIFIER = "email";

    /** Time between two looks at the store while the challenge mail is awaited. */
    static final Duration MAIL_POLL = Duration.ofSeconds(2);
    /** Time between two requests for the status of a challenge or an order the CA is processing. */
    static final Duration CA_POLL = Duration.ofSeconds(1);
    /**
     * How long an order may stay in {@link OrderState#CHALLENGE_RECEIVED}. The responder hands
     * the response to James right after writing that state, normally within milliseconds, so an
     * older record means that its node stopped in between, and whether the response left is
     * unknown. NOTE: the state's time comes from the answering node's clock, so the nodes'
     * clocks must agree well within this limit.
     */
    static final Duration RESPONSE_GRACE = Duration.ofSeconds(30);
    /** Time between two requests for the authorization's status while the challenge mail is awaited. */
    static final Duration CA_CHECK_WHILE_WAITING = Duration.ofSeconds(15);

    private final AcmeSmimeConfiguration configuration;
    private final AccountManager accounts;
    private final StateStore store;
    private final IssuanceSteps issuance;
    private final Clock clock;
    /** When each order waiting for its challenge mail last asked the CA, by order id. */
    private final Map<String, Instant> lastCaCheck = new ConcurrentHashMap<>();
    /** When an order waiting for its challenge mail was first seen with its challenge claimed. */
    private final Map<String, Instant> claimSeenAt = new ConcurrentHashMap<>();

    OrderSteps(AcmeSmimeConfiguration configuration, AccountManager accounts, StateStore store,
               CertificateFiles certificateFiles, Clock clock) {
        this.configuration = configuration;
        this.accounts = accounts;
        this.store = store;
        this.issuance = new IssuanceSteps(configuration, accounts, store, certificateFiles, clock);
        this.clock = clock;
    }

    /**
     * Runs the step of the record's state and writes its result.
     *
     * @return the delay before the order's next step, or empty once the order is stored
     * @throws OrderFailedException when the order cannot go on
     */
    @Override
    public Optional<Duration> run(OrderRecord record) throws AcmeException, IOException, OrderFailedException {
        if (record.state() != OrderState.AUTHORIZATION_FETCHED) {
            lastCaCheck.remove(record.id());
            claimSeenAt.remove(record.id());
        }
        return switch (record.state()) {
            case CREATED -> record.orderUrl().isEmpty() ? createAtCa(record) : fetchAuthorization(record);
            case AUTHORIZATION_FETCHED -> awaitChallengeMail(record);
            case CHALLENGE_RECEIVED -> awaitResponse(record);
            case ANSWERED -> trigger(record);
            case TRIGGERED -> awaitValidation(record);
            case VALID -> issuance.createKey(record);
            case FINALIZED -> issuance.finalizeOrDownload(record);
            case ISSUED -> issuance.storeCertificate(record);
            case STORED, FAILED -> Optional.empty();
        };
    }

    /**
     * Deactivates the pending authorization of a failed order, so that the CA stops waiting for
     * an answer that will not come and no later answer can validate it.
     */
    @Override
    public void abandon(OrderRecord failed) {
        if (failed.orderUrl().isEmpty() || failed.state().compareTo(OrderState.VALID) >= 0) {
            return;
        }
        try {
            ExtensionClassLoader.<Void, AcmeException>call(() -> {
                Order order = accounts.login().bindOrder(AcmeResources.url(failed.orderUrl().get()));
                for (Authorization authorization : order.getAuthorizations()) {
                    if (authorization.getStatus() == Status.PENDING) {
                        authorization.deactivate();
                        LOGGER.info("Deactivated authorization {} of failed order {} for {}",
                            authorization.getLocation(), failed.orderUrl().get(), failed.address());
                    }
                }
                return null;
            });
        } catch (AcmeException | RuntimeException e) {
            LOGGER.warn("Deactivating the authorization of failed order {} for {} failed: {}",
                failed.orderUrl().get(), failed.address(), e.toString());
        }
    }

    private Optional<Duration> createAtCa(OrderRecord record) throws AcmeException {
        Login login = accounts.login();
        Order order = ExtensionClassLoader.call(() -> login.newOrder()
            .identifier(new Identifier(EMAIL_IDENTIFIER, record.address())).create());
        String orderUrl = order.getLocation().toString();
        store.update(record.withOrderUrl(orderUrl, clock.instant()));
        LOGGER.info("Started order {} for {} (order id {})", orderUrl, record.address(), record.id());
        CrashPoint.CREATED.reached(record.id());
        return Optional.of(Duration.ZERO);
    }

    private Optional<Duration> fetchAuthorization(OrderRecord record)
            throws AcmeException, OrderFailedException {
        Login login = accounts.login();
        Order order = login.bindOrder(AcmeResources.url(record.orderUrl().orElseThrow()));
        List<Authorization> authorizations = ExtensionClassLoader.call(order::getAuthorizations);
        if (authorizations.size() != 1) {
            throw new OrderFailedException("the order has " + authorizations.size()
                + " authorizations, expected one for " + record.address());
        }
        Authorization authorization = authorizations.get(0);
        Status status = ExtensionClassLoader.call(authorization::getStatus);
        if (status == Status.VALID) {
            // The CA reused an authorization that was validated before.
            store.update(record.advancedTo(OrderState.VALID, clock.instant()));
            LOGGER.info("Order {} for {} has a valid authorization already", record.orderUrl().get(),
                record.address());
            return Optional.of(Duration.ZERO);
        }
        if (status != Status.PENDING) {
            throw new OrderFailedException("the authorization " + authorization.getLocation() + " is "
                + status);
        }
        EmailReply00Challenge challenge = ExtensionClassLoader.call(() ->
            authorization.findChallenge(EmailReply00Challenge.class)).orElseThrow(() ->
                new OrderFailedException("the authorization " + authorization.getLocation()
                    + " offers no " + EmailReply00Challenge.TYPE + " challenge"));

        Instant now = clock.instant();
        store.update(record.withChallenge(challenge.getLocation().toString(), challenge.getTokenPart2(),
            challenge.getFrom().getAddress(), now).advancedTo(OrderState.AUTHORIZATION_FETCHED, now));
        LOGGER.info("Order {} for {} waits for the challenge mail from {}", record.orderUrl().get(),
            record.address(), challenge.getFrom().getAddress());
        return Optional.of(MAIL_POLL);
    }

    private Optional<Duration> awaitChallengeMail(OrderRecord record) throws OrderFailedException {
        Instant now = clock.instant();
        Instant deadline = record.updatedAt().plus(configuration.challengeTimeout());
        if (now.isAfter(deadline)) {
            lastCaCheck.remove(record.id());
            throw new OrderFailedException("no authentic challenge mail was answered within "
                + configuration.challengeTimeout());
        }
        Instant lastCheck = lastCaCheck.computeIfAbsent(record.id(), id -> now);
        if (!now.isBefore(lastCheck.plus(CA_CHECK_WHILE_WAITING))) {
            lastCaCheck.put(record.id(), now);
            checkClaimWithoutAnswer(record, now);
            checkAuthorizationPending(record);
        }
        return Optional.of(MAIL_POLL);
    }

    /**
     * Replaces the order when its challenge was claimed but the order never left
     * {@link OrderState#AUTHORIZATION_FETCHED}: the responder failed to write the next state, so
     * no later mail can answer the challenge.
     */
    private void checkClaimWithoutAnswer(OrderRecord record, Instant now) throws OrderRestartException {
        if (!store.isChallengeClaimed(record.challengeUrl().orElseThrow())) {
            return;
        }
        Instant firstSeen = claimSeenAt.computeIfAbsent(record.id(), id -> now);
        if (!now.isBefore(firstSeen.plus(RESPONSE_GRACE))) {
            throw new OrderRestartException("the challenge was claimed, but the order was not moved on"
                + " from " + OrderState.AUTHORIZATION_FETCHED + " within " + RESPONSE_GRACE);
        }
    }

    /**
     * Fails the order when the CA has ended its authorization, by expiry or deactivation, while
     * the challenge mail is awaited. A failed request is left for the next check.
     */
    private void checkAuthorizationPending(OrderRecord record) throws OrderFailedException {
        Status status;
        try {
            Order order = AcmeResources.fetchOrder(accounts, record);
            status = order.getStatus();
            if (status == Status.PENDING) {
                Authorization authorization = ExtensionClassLoader.call(order::getAuthorizations).get(0);
                status = ExtensionClassLoader.call(authorization::getStatus);
            }
        } catch (AcmeException | RuntimeException e) {
            LOGGER.debug("Checking the authorization of order {} for {} failed; the next check is in {}",
                record.orderUrl().orElse(record.id()), record.address(), CA_CHECK_WHILE_WAITING, e);
            return;
        }
        if (status != Status.PENDING) {
            lastCaCheck.remove(record.id());
            throw new OrderFailedException("the CA ended the authorization (" + status
                + ") before the challenge mail was answered");
        }
    }

    private Optional<Duration> awaitResponse(OrderRecord record) throws OrderRestartException {
        if (clock.instant().isAfter(record.updatedAt().plus(RESPONSE_GRACE))) {
            throw new OrderRestartException("James stopped after claiming the challenge mail and before"
                + " the response was sent");
        }
        return Optional.of(CA_POLL);
    }

    private Optional<Duration> trigger(OrderRecord record) throws AcmeException {
        CrashPoint.ANSWERED.reached(record.id());
        Login login = accounts.login();
        URL challengeUrl = AcmeResources.url(record.challengeUrl().orElseThrow());
        ExtensionClassLoader.<Void, AcmeException>call(() -> {
            Challenge challenge = login.bindChallenge(challengeUrl);
            challenge.trigger();
            return null;
        });
        store.update(record.advancedTo(OrderState.TRIGGERED, clock.instant()));
        LOGGER.info("Triggered the challenge of order {} for {}", record.orderUrl().orElseThrow(),
            record.address());
        return Optional.of(CA_POLL);
    }

    private Optional<Duration> awaitValidation(OrderRecord record)
            throws AcmeException, OrderFailedException {
        Order order = AcmeResources.fetchOrder(accounts, record);
        Status status = order.getStatus();
        if (status == Status.READY || status == Status.PROCESSING || status == Status.VALID) {
            store.update(record.advancedTo(OrderState.VALID, clock.instant()));
            LOGGER.info("The challenge of order {} for {} is valid", record.orderUrl().get(),
                record.address());
            CrashPoint.VALID.reached(record.id());
            return Optional.of(Duration.ZERO);
        }
        if (status != Status.PENDING) {
            throw new OrderFailedException("the order became " + status + challengeError(record));
        }
        AcmeResources.checkTimeout(record, configuration.challengeTimeout(), clock,
            "the challenge to be validated");
        return Optional.of(CA_POLL);
    }

    /** Returns the challenge's error for a message, or nothing when it cannot be read. */
    private String challengeError(OrderRecord record) {
        try {
            URL challengeUrl = AcmeResources.url(record.challengeUrl().orElseThrow());
            Challenge challenge = accounts.login().bindChallenge(challengeUrl);
            ExtensionClassLoader.call(challenge::fetch);
            return AcmeResources.describe(challenge.getError());
        } catch (AcmeException | RuntimeException e) {
            LOGGER.debug("Reading the error of challenge {} failed", record.challengeUrl(), e);
            return "";
        }
    }
}
