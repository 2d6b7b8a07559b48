package io.jamesacme.smime.acme;

import java.net.MalformedURLException;
import java.net.URL;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.store.CertificateState;
import io.jamesacme.smime.store.CertificateStatus;
import io.jamesacme.smime.store.PendingChallenges;
import io.jamesacme.smime.store.PendingChallenges.ChallengeDetails;
import io.jamesacme.smime.store.PendingChallenges.PendingOrder;
import io.jamesacme.smime.store.StatusStore;

/**
 * Starts and tracks certificate orders, one at a time per address and at most
 * {@code provisioning.concurrency} at once, and triggers answered challenges.
 */
public class CertificateOrderService {
    private static final Logger LOGGER = LoggerFactory.getLogger(CertificateOrderService.class);

    private final AcmeSmimeConfiguration configuration;
    private final AccountManager accounts;
    private final StatusStore statuses;
    private final PendingChallenges pendingChallenges;
    private final Clock clock;
    private final ExecutorService orderExecutor;
    private final ScheduledExecutorService triggerScheduler;

    public CertificateOrderService(AcmeSmimeConfiguration configuration, AccountManager accounts,
                                   StatusStore statuses, PendingChallenges pendingChallenges,
                                   Clock clock) {
        this.configuration = configuration;
        this.accounts = accounts;
        this.statuses = statuses;
        this.pendingChallenges = pendingChallenges;
        this.clock = clock;
        this.orderExecutor = Executors.newFixedThreadPool(configuration.provisioning().concurrency(),
            daemonThreads("acme-smime-order"));
        this.triggerScheduler = Executors.newSingleThreadScheduledExecutor(
            daemonThreads("acme-smime-trigger"));
    }

    /**
     * Starts an order for the address unless one is in progress, and returns the status.
     * The order itself runs in the background.
     */
    public CertificateStatus request(String address) {
        return start(address, 1);
    }

    private CertificateStatus start(String address, int attempt) {
        PendingOrder pending = pendingChallenges.open(address).orElse(null);
        if (pending == null) {
            LOGGER.debug("An order for {} is already in progress", address);
            return statuses.get(address);
        }

        CertificateStatus status = statuses.get(address).withState(CertificateState.ORDERING,
            clock.instant());
        statuses.put(status);
        try {
            orderExecutor.execute(new OrderProcess(pending, configuration, accounts, statuses,
                pendingChallenges, clock, attempt, this::scheduleRetry));
        } catch (RejectedExecutionException e) {
            pendingChallenges.close(pending);
            CertificateStatus failed = status.failed("the order queue is shut down", clock.instant());
            statuses.put(failed);
            return failed;
        }
        return status;
    }

    /** Starts attempt {@code attempt} at {@code time}, unless another order started meanwhile. */
    private void scheduleRetry(String address, int attempt, Instant time) {
        long delay = Math.max(0, Duration.between(clock.instant(), time).toMillis());
        triggerScheduler.schedule(() -> {
            LOGGER.info("Attempt {} of the order for {}", attempt, address);
            start(address, attempt);
        }, delay, TimeUnit.MILLISECONDS);
    }

    public CertificateStatus status(String address) {
        return statuses.get(address);
    }

    /** Returns the public key of the ACME account, the key the key authorization depends on. */
    public PublicKey accountPublicKey() {
        return accounts.keyPair().getPublic();
    }

    /** Records that the response for the address has been handed to the mail pipeline. */
    public void markAnswered(String address) {
        statuses.put(statuses.get(address).withState(CertificateState.ANSWERED, clock.instant()));
    }

    /**
     * Triggers the challenge after {@code challenge.trigger-delay}. Some CAs look for the
     * response only when the trigger arrives, so the response must have left first.
     */
    public void scheduleTrigger(String address, ChallengeDetails details) {
        long delay = configuration.triggerDelay().toMillis();
        triggerScheduler.schedule(() -> trigger(address, details), delay, TimeUnit.MILLISECONDS);
    }

    private void trigger(String address, ChallengeDetails details) {
        try {
            URL challengeUrl = new URL(details.challengeUrl());
            ExtensionClassLoader.<Void, AcmeException>call(() -> {
                Challenge challenge = accounts.login().bindChallenge(challengeUrl);
                challenge.trigger();
                return null;
            });
            LOGGER.info("Triggered the challenge of order {} for {}", details.orderUrl(), address);
        } catch (AcmeException | MalformedURLException | RuntimeException e) {
            LOGGER.error("Triggering the challenge {} of order {} for {} failed",
                details.challengeUrl(), details.orderUrl(), address, e);
            statuses.put(statuses.get(address).failed("trigger failed: " + e.getMessage(),
                clock.instant()));
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
