package io.jamesacme.smime.acme;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Certificate;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.certificate.CsrFactory;
import io.jamesacme.smime.certificate.Pkcs12Store;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.rfc8823.EmailReply00Challenge;
import io.jamesacme.smime.store.CertificateState;
import io.jamesacme.smime.store.CertificateStatus;
import io.jamesacme.smime.store.PendingChallenges;
import io.jamesacme.smime.store.PendingChallenges.ChallengeDetails;
import io.jamesacme.smime.store.PendingChallenges.PendingOrder;
import io.jamesacme.smime.store.StatusStore;

/**
 * One certificate order for one address, from the new order to the stored PKCS#12:
 * order with the email identifier, fetch the authorization, wait until the mail pipeline has
 * answered the challenge and the CA has validated it, finalize with a CSR, download the chain
 * and store it with the new key.
 */
class OrderProcess implements Runnable {
    private static final Logger LOGGER = LoggerFactory.getLogger(OrderProcess.class);

    /** The identifier type of RFC 8823. */
    static final String EMAIL_IDENTIFIER = "email";

    /** The authorization states after which waiting is over (RFC 8555 section 7.1.6). */
    private static final Set<Status> AUTHORIZATION_DONE = EnumSet.of(Status.VALID, Status.INVALID,
        Status.EXPIRED, Status.DEACTIVATED, Status.REVOKED);

    private final PendingOrder pending;
    private final AcmeSmimeConfiguration configuration;
    private final AccountManager accounts;
    private final StatusStore statuses;
    private final PendingChallenges pendingChallenges;
    private final Clock clock;
    private final String address;
    private final int attempt;
    private final Retries retries;

    OrderProcess(PendingOrder pending, AcmeSmimeConfiguration configuration, AccountManager accounts,
                 StatusStore statuses, PendingChallenges pendingChallenges, Clock clock, int attempt,
                 Retries retries) {
        this.pending = pending;
        this.configuration = configuration;
        this.accounts = accounts;
        this.statuses = statuses;
        this.pendingChallenges = pendingChallenges;
        this.clock = clock;
        this.address = pending.address();
        this.attempt = attempt;
        this.retries = retries;
    }

    /** Starts attempt {@code attempt} of an order for {@code address} at {@code time}. */
    interface Retries {
        void schedule(String address, int attempt, Instant time);
    }

    @Override
    public void run() {
        String reason = null;
        Exception failure = null;
        try {
            ExtensionClassLoader.call(() -> {
                execute();
                return null;
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reason = "the order was interrupted";
            failure = e;
        } catch (AcmeException | IOException | OrderFailedException | RuntimeException e) {
            reason = String.valueOf(e.getMessage());
            failure = e;
        } catch (Exception e) {
            reason = "unexpected error: " + e;
            failure = e;
        } finally {
            pendingChallenges.close(pending);
        }
        // After the close, so that a retry can open the address's next order.
        if (failure != null) {
            fail(reason, failure);
        }
    }

    private void execute() throws Exception {
        // TODO: write each step to the StateStore and resume active orders at start, which a restart loses today.
        Login login = accounts.login();
        Order order = login.newOrder().identifier(new Identifier(EMAIL_IDENTIFIER, address)).create();
        String orderUrl = order.getLocation().toString();
        statuses.put(statuses.get(address).withOrderUrl(orderUrl, clock.instant()));
        LOGGER.info("Started order {} for {}", orderUrl, address);

        for (Authorization authorization : order.getAuthorizations()) {
            authorize(orderUrl, authorization);
        }

        order.waitUntilReady(configuration.challengeTimeout());
        KeyPair keyPair = configuration.keyType().generateKeyPair();
        order.execute(CsrFactory.createCsr(keyPair, address, configuration.keyType()));
        Status status = order.waitForCompletion(configuration.challengeTimeout());
        if (status != Status.VALID) {
            throw new OrderFailedException("the order ended " + status + describe(order.getError()
                .orElse(null)));
        }

        store(orderUrl, order.getCertificate(), keyPair);
    }

    private void authorize(String orderUrl, Authorization authorization) throws Exception {
        if (authorization.getStatus() == Status.VALID) {
            return;
        }
        EmailReply00Challenge challenge = authorization.findChallenge(EmailReply00Challenge.class)
            .orElseThrow(() -> new OrderFailedException("the authorization "
                + authorization.getLocation() + " offers no " + EmailReply00Challenge.TYPE
                + " challenge"));

        // The status is written first: releasing the challenge details may answer a parked
        // challenge mail at once, and that answer records a later state.
        statuses.put(statuses.get(address).withState(CertificateState.PENDING, clock.instant()));
        pending.challengeReady(new ChallengeDetails(orderUrl, challenge.getLocation().toString(),
            challenge.getTokenPart2(), challenge.getFrom()));
        LOGGER.info("Order {} for {} waits for the challenge mail from {}", orderUrl, address,
            challenge.getFrom().getAddress());

        // acme4j's waitForCompletion waits for valid or invalid only. A CA may also expire or
        // deactivate the authorization, and the order must end then too.
        Status status = authorization.waitForStatus(AUTHORIZATION_DONE, configuration.challengeTimeout());
        if (status != Status.VALID) {
            if (!pending.isAnswered()) {
                pending.markExpired();
            }
            challenge.fetch();
            throw new OrderFailedException("the authorization ended " + status
                + describe(challenge.getError().orElse(null)));
        }
    }

    private void store(String orderUrl, Certificate certificate, KeyPair keyPair) throws IOException {
        List<X509Certificate> chain = certificate.getCertificateChain();
        Path directory = configuration.storageDirectory().resolve("certificates");
        Files.createDirectories(directory);
        Path keyStore = directory.resolve(address + ".p12");

        char[] passphrase = configuration.passphraseSource().read();
        try {
            Pkcs12Store.write(keyStore, keyPair.getPrivate(), chain, passphrase, address);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        writeChain(certificate, directory.resolve(address + ".chain.pem"));

        X509Certificate leaf = chain.get(0);
        statuses.put(statuses.get(address).issued(leaf.getNotAfter().toInstant(), keyStore,
            clock.instant()));
        LOGGER.info("Stored the certificate of order {} for {} (serial {}, valid until {}) in {}",
            orderUrl, address, leaf.getSerialNumber().toString(16), leaf.getNotAfter().toInstant(),
            keyStore);
    }

    private static void writeChain(Certificate certificate, Path file) throws IOException {
        Path temporary = Files.createTempFile(file.getParent(), ".chain-", ".tmp");
        try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.US_ASCII)) {
            certificate.writeCertificate(writer);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
    }

    private void fail(String reason, Exception cause) {
        String orderUrl = statuses.get(address).orderUrl().orElse("(none)");
        Instant now = clock.instant();
        RetryPolicy policy = configuration.retry();
        Optional<Instant> next = policy.nextAttemptTime(attempt + 1, cause, now);
        if (next.isPresent()) {
            LOGGER.warn("Order {} for {} failed on attempt {} of {}: {}; the next attempt starts at {}",
                orderUrl, address, attempt, policy.maxAttempts(), reason, next.get());
            statuses.put(statuses.get(address).retrying(reason, next.get(), now));
            retries.schedule(address, attempt + 1, next.get());
            return;
        }
        LOGGER.error("Order {} for {} failed: {}", orderUrl, address, reason, cause);
        statuses.put(statuses.get(address).failed(reason, clock.instant()));
    }

    private static String describe(Problem problem) {
        if (problem == null) {
            return "";
        }
        return ": " + problem.getDetail().orElse(problem.getType().toString());
    }

    /** An order that ended in a state from which it cannot go on. */
    static class OrderFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        OrderFailedException(String message) {
            super(message);
        }
    }
}
