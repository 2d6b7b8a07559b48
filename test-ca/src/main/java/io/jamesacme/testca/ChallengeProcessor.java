package io.jamesacme.testca;

import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.mail.MessagingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the mail side of email-reply-00: sends each challenge mail once, at the moment that
 * {@link ChallengeTiming} selects, and after the client's trigger polls the CA inbox for the
 * response, then moves challenge, authorization and order to their final status. When
 * challenge mails are held ({@link TestCaConfig#challengeMailHeld()}), only {@link #sendNow}
 * sends them.
 */
final class ChallengeProcessor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChallengeProcessor.class);
    /** Every how many failed IMAP polls of one challenge a warning is logged. */
    private static final int POLL_FAILURE_LOG_INTERVAL = 10;

    private final TestCaConfig config;
    private final ChallengeMessages messages;
    private final ChallengeMailer mailer;
    private final ResponseMailbox mailbox;
    private final AcmeRegistry registry;
    private final ScheduledExecutorService mailScheduler;
    private final ExecutorService validations;

    ChallengeProcessor(TestCaConfig config, ChallengeMessages messages, ChallengeMailer mailer,
            ResponseMailbox mailbox, AcmeRegistry registry) {
        this.config = config;
        this.messages = messages;
        this.mailer = mailer;
        this.mailbox = mailbox;
        this.registry = registry;
        this.mailScheduler = Executors.newScheduledThreadPool(2, daemonThreads("challenge-mail"));
        this.validations = Executors.newCachedThreadPool(daemonThreads("challenge-validation"));
    }

    /**
     * Starts the challenge mail of an authorization on its first fetch. In the early timing
     * this sends the mail and then blocks for the configured hold. With held challenge mails
     * it still blocks, so that a test can deliver its own mail in that time.
     */
    void onFirstFetch(Authorization authorization) {
        EmailReplyChallenge challenge = authorization.challenge();
        if (config.challengeTiming() == ChallengeTiming.AFTER_AUTHORIZATION_FETCH) {
            if (!config.challengeMailHeld()) {
                mailScheduler.schedule(() -> sendOnce(challenge),
                        config.challengeMailDelay().toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        sendOnce(challenge);
        try {
            Thread.sleep(config.earlyChallengeHold().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Handles the client's POST to the challenge URL; repeated triggers change nothing. */
    void trigger(EmailReplyChallenge challenge) {
        if (!challenge.startProcessing()) {
            return;
        }
        Authorization authorization = challenge.authorization();
        LOG.info("Challenge {} for {} (order {}) triggered; polling the CA inbox for up to {}",
                challenge.url(), authorization.address(), authorization.order().url(),
                config.responseWait());
        validations.submit(() -> validate(challenge));
    }

    /** Returns how many response mails to the latest challenge of {@code address} are in the inbox. */
    int responsesReceived(String address) throws MessagingException {
        var challenge = registry.latestChallengeFor(address);
        if (challenge.isEmpty()) {
            return 0;
        }
        return mailbox.countResponses(challenge.get().tokenPart1());
    }

    /** Fetches the raw response mails to the latest challenge of {@code address}. */
    List<byte[]> responseMessages(String address) throws MessagingException {
        var challenge = registry.latestChallengeFor(address);
        if (challenge.isEmpty()) {
            return List.of();
        }
        return mailbox.responseMessages(challenge.get().tokenPart1());
    }

    /** Builds the genuine challenge mail of {@code challenge} in {@code signing} mode. */
    byte[] challengeMail(EmailReplyChallenge challenge, ChallengeSigning signing)
            throws MessagingException, GeneralSecurityException {
        return messages.build(challenge, signing);
    }

    /**
     * Sends the challenge mail in the configured mode now, held or not, even if one was sent
     * before. A scheduled automatic mail that has not gone out yet is dropped.
     */
    void sendNow(EmailReplyChallenge challenge)
            throws MessagingException, GeneralSecurityException {
        challenge.claimMail();
        send(challenge);
    }

    /**
     * Marks the authorization of {@code challenge} expired, the challenge invalid and a
     * pending or ready order invalid. A validation in progress stops at its next poll.
     */
    void expire(EmailReplyChallenge challenge) {
        Authorization authorization = challenge.authorization();
        Order order = authorization.order();
        AcmeProblem problem = AcmeProblem.unauthorized("The authorization for "
                + authorization.address() + " expired before its challenge was completed");
        synchronized (order) {
            challenge.markInvalid(problem);
            authorization.setStatus(AcmeStatus.EXPIRED);
            if (order.status() == AcmeStatus.PENDING || order.status() == AcmeStatus.READY) {
                order.fail(problem);
            }
        }
        LOG.info("Expired authorization {} for {}; challenge {} is invalid, order {} is {}",
                authorization.url(), authorization.address(), challenge.url(), order.url(),
                order.status().json());
    }

    private void send(EmailReplyChallenge challenge)
            throws MessagingException, GeneralSecurityException {
        Authorization authorization = challenge.authorization();
        String address = authorization.address();
        byte[] mail = messages.build(challenge, config.challengeSigning());
        String messageId = mailer.send(mail);
        registry.countChallengeMail(address);
        LOG.info("Sent {} challenge mail {} to {} for order {} via SMTP {}:{}",
                config.challengeSigning(), messageId, address, authorization.order().url(),
                config.smtpHost(), config.smtpPort());
    }

    private void sendOnce(EmailReplyChallenge challenge) {
        if (config.challengeMailHeld() || !challenge.claimMail()) {
            return;
        }
        Authorization authorization = challenge.authorization();
        String address = authorization.address();
        try {
            send(challenge);
        } catch (MessagingException | GeneralSecurityException | RuntimeException e) {
            LOG.error("Sending the challenge mail to {} for order {} via SMTP {}:{} failed",
                    address, authorization.order().url(), config.smtpHost(), config.smtpPort(),
                    e);
            fail(challenge, AcmeProblem.of("connection", 400, "The CA could not send the "
                    + "challenge mail to " + address + " via SMTP " + config.smtpHost() + ":"
                    + config.smtpPort() + ": " + e.getMessage()));
        }
    }

    private void validate(EmailReplyChallenge challenge) {
        Authorization authorization = challenge.authorization();
        String address = authorization.address();
        // A trigger before the scheduled mail went out must not wait for nothing.
        sendOnce(challenge);
        if (challenge.status() != AcmeStatus.PROCESSING) {
            return;
        }
        String expected = KeyAuthorization.expectedResponse(challenge.tokenPart1(),
                challenge.tokenPart2(), authorization.order().account().thumbprint());
        Instant deadline = Instant.now().plus(config.responseWait());
        int failedPolls = 0;
        while (true) {
            if (challenge.isFinal()) {
                // Expired by expire() while this validation was polling.
                return;
            }
            try {
                ResponseMailbox.ScanResult result =
                        mailbox.scan(challenge.tokenPart1(), address, expected);
                if (result == ResponseMailbox.ScanResult.MATCH) {
                    succeed(challenge);
                    return;
                }
                if (result == ResponseMailbox.ScanResult.MISMATCH) {
                    fail(challenge, AcmeProblem.of("incorrectResponse", 403, "The response "
                            + "mail from " + address + " does not contain the expected "
                            + "key authorization digest"));
                    return;
                }
            } catch (MessagingException | RuntimeException e) {
                failedPolls++;
                if (failedPolls % POLL_FAILURE_LOG_INTERVAL == 1) {
                    LOG.warn("Polling IMAP {}:{} as {} for the response of {} failed "
                            + "({} failures so far); retrying", config.imapHost(),
                            config.imapPort(), config.imapUser(), address, failedPolls, e);
                }
            }
            if (!Instant.now().isBefore(deadline)) {
                fail(challenge, AcmeProblem.of("incorrectResponse", 403, "No response mail "
                        + "from " + address + " reached the CA inbox within "
                        + describe(config.responseWait())));
                return;
            }
            try {
                Thread.sleep(config.pollInterval().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void succeed(EmailReplyChallenge challenge) {
        Authorization authorization = challenge.authorization();
        Order order = authorization.order();
        synchronized (order) {
            if (challenge.isFinal()) {
                return;
            }
            challenge.markValid();
            authorization.setStatus(AcmeStatus.VALID);
            order.updateFromAuthorizations();
        }
        LOG.info("Challenge {} for {} is valid; order {} is {}", challenge.url(),
                authorization.address(), order.url(), order.status().json());
    }

    private void fail(EmailReplyChallenge challenge, AcmeProblem problem) {
        Authorization authorization = challenge.authorization();
        Order order = authorization.order();
        synchronized (order) {
            if (challenge.isFinal()) {
                return;
            }
            challenge.markInvalid(problem);
            authorization.setStatus(AcmeStatus.INVALID);
            order.fail(problem);
        }
        LOG.warn("Challenge {} for {} is invalid ({}: {}); order {} is invalid", challenge.url(),
                authorization.address(), problem.type(), problem.getMessage(), order.url());
    }

    private static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s"
                : duration.toMillis() + " ms";
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "test-ca-" + name + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        mailScheduler.shutdownNow();
        validations.shutdownNow();
    }
}
