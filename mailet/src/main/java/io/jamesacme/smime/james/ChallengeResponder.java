package io.jamesacme.smime.james;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.acme.CertificateOrderService;
import io.jamesacme.smime.authenticity.Verdict;
import io.jamesacme.smime.rfc8823.ChallengeMail;
import io.jamesacme.smime.rfc8823.KeyAuthorization;
import io.jamesacme.smime.rfc8823.RejectionReason;
import io.jamesacme.smime.rfc8823.ResponseMail;
import io.jamesacme.smime.state.StateStore;
import io.jamesacme.smime.store.PendingChallenges;
import io.jamesacme.smime.store.PendingChallenges.ChallengeDetails;
import io.jamesacme.smime.store.PendingChallenges.PendingOrder;

/**
 * Answers a parsed challenge mail for one recipient. The checks run in this order: an order of
 * ours waits for the recipient, To names exactly the recipient, the mail is authentic under
 * the CA profile, From is the {@code from} of our challenge, and nobody has claimed the
 * challenge yet. Only then is the response sent, through the mailet context into the
 * configured processor, and the trigger scheduled.
 *
 * <p>When the mail arrives before the order knows its challenge, the answer is parked and sent
 * from another thread once the details are known, so the mail pipeline never waits for the CA.
 */
public class ChallengeResponder {
    private static final Logger LOGGER = LoggerFactory.getLogger(ChallengeResponder.class);

    /**
     * How much older than its order a challenge's Date may be, for clocks that differ. An
     * older mail belongs to an earlier order of the same address.
     */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(10);

    /** Names this JVM in challenge claims, so that a claim names the node that sent the response. */
    private static final String NODE = ManagementFactory.getRuntimeMXBean().getName();

    private final PendingChallenges pendingChallenges;
    private final CertificateOrderService orders;
    private final ChallengeMetrics metrics;
    private final StateStore stateStore;

    @Inject
    public ChallengeResponder(PendingChallenges pendingChallenges, CertificateOrderService orders,
                              ChallengeMetrics metrics, StateStore stateStore) {
        this.pendingChallenges = pendingChallenges;
        this.orders = orders;
        this.metrics = metrics;
        this.stateStore = stateStore;
    }

    /**
     * Answers the challenge now, parks it until the order knows its challenge, or rejects it.
     * The outcome is counted in the metrics.
     *
     * @param authenticity the verdict on the mail, computed on first use
     * @param routing where responses go and where parked mails end when not answered
     */
    public Result respond(ChallengeMail challenge, Supplier<Verdict> authenticity,
                          MailAddress recipient, Mail mail, Routing routing) throws MessagingException {
        Result result = check(challenge, authenticity, recipient, mail, routing);
        switch (result.outcome()) {
            case ANSWERED -> metrics.answered();
            case DEFERRED -> metrics.deferred();
            case REJECTED -> metrics.rejected(result.reason().orElseThrow());
        }
        return result;
    }

    private Result check(ChallengeMail challenge, Supplier<Verdict> authenticity,
                         MailAddress recipient, Mail mail, Routing routing) throws MessagingException {
        Optional<PendingOrder> pending = pendingChallenges.find(recipient.asString());
        if (pending.isEmpty()) {
            return Result.rejected(noOrderReason(recipient), "no order of this server waits for "
                + recipient.asString());
        }
        CompletableFuture<ChallengeDetails> details = pending.get().challenge();
        Optional<String> orderUrl = details.isDone() && !details.isCancelled()
            ? Optional.of(details.join().orderUrl()) : Optional.empty();
        Optional<Result> addressed = checkAddressedTo(challenge, recipient);
        if (addressed.isPresent()) {
            return addressed.get().withOrderUrl(orderUrl);
        }
        Verdict verdict = authenticity.get();
        if (!verdict.isAuthentic()) {
            return Result.rejected(verdict.reason().orElseThrow(), verdict.detail())
                .withOrderUrl(orderUrl);
        }

        if (details.isDone() && !details.isCancelled()) {
            return answer(challenge, verdict, recipient, pending.get(), details.join(), routing);
        }
        park(challenge, verdict, recipient, pending.get(), mail, routing);
        return Result.deferred(verdict.detail());
    }

    private RejectionReason noOrderReason(MailAddress recipient) {
        return pendingChallenges.lastClosure(recipient.asString())
            .map(closure -> switch (closure) {
                case ANSWERED -> RejectionReason.ALREADY_ANSWERED;
                case EXPIRED -> RejectionReason.ORDER_EXPIRED;
                case FAILED -> RejectionReason.ORDER_FAILED;
            })
            .orElse(RejectionReason.NO_PENDING_ORDER);
    }

    /** RFC 8823 sends one challenge to one address: To must name exactly the recipient. */
    private static Optional<Result> checkAddressedTo(ChallengeMail challenge, MailAddress recipient) {
        List<InternetAddress> to = challenge.to();
        boolean named = to.stream().anyMatch(address -> address.getAddress() != null
            && address.getAddress().equalsIgnoreCase(recipient.asString()));
        if (!named) {
            return Optional.of(Result.rejected(RejectionReason.RECIPIENT_NOT_IN_TO,
                "To does not name " + recipient.asString()));
        }
        if (to.size() != 1) {
            return Optional.of(Result.rejected(RejectionReason.MULTIPLE_RECIPIENTS,
                "To names " + to.size() + " addresses, a challenge has exactly one"));
        }
        return Optional.empty();
    }

    private void park(ChallengeMail challenge, Verdict verdict, MailAddress recipient,
                      PendingOrder pending, Mail mail, Routing routing) throws MessagingException {
        LOGGER.info("Challenge mail {} for {} arrived before the order has its challenge; "
            + "the answer waits for the order", mail.getName(), recipient.asString());
        Mail parked = mail.duplicate();
        parked.setRecipients(List.of(recipient));
        pending.challenge()
            .thenAcceptAsync(ready -> answerParked(challenge, verdict, recipient, pending, ready,
                parked, routing))
            .exceptionally(error -> {
                boolean cancelled = error instanceof CancellationException
                    || error.getCause() instanceof CancellationException;
                if (!cancelled) {
                    LOGGER.error("Answering the parked challenge mail {} for {} failed",
                        parked.getName(), recipient.asString(), error);
                }
                RejectionReason reason = cancelled ? noOrderReason(recipient) : RejectionReason.ORDER_FAILED;
                metrics.rejected(reason);
                routeParked(parked, reason, routing);
                return null;
            });
    }

    private void answerParked(ChallengeMail challenge, Verdict verdict, MailAddress recipient,
                              PendingOrder pending, ChallengeDetails details, Mail parked,
                              Routing routing) {
        Result result;
        try {
            result = answer(challenge, verdict, recipient, pending, details, routing);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("Sending the response to parked challenge mail {} for {} of order {} failed",
                parked.getName(), recipient.asString(), details.orderUrl(), e);
            result = Result.rejected(RejectionReason.ORDER_FAILED, "sending the response failed");
        }
        if (result.outcome() == Outcome.ANSWERED) {
            metrics.answered();
            LOGGER.info("Parked challenge mail {} for {} answered for order {} ({})", parked.getName(),
                recipient.asString(), details.orderUrl(), result.detail());
            return;
        }
        RejectionReason reason = result.reason().orElseThrow();
        metrics.rejected(reason);
        LOGGER.warn("Parked challenge mail {} for {} of order {} not answered ({}): {}",
            parked.getName(), recipient.asString(), details.orderUrl(), reason.code(), result.detail());
        routeParked(parked, reason, routing);
    }

    /** Routes a parked mail that ends unanswered, unless its original went on to delivery. */
    private static void routeParked(Mail parked, RejectionReason reason, Routing routing) {
        if (routing.challengeMailDelivered()) {
            LOGGER.info("Parked challenge mail {} for {} ({}) is not delivered again: its original "
                + "was delivered (challengeMail=deliver)", parked.getName(), parked.getRecipients(),
                reason.code());
            return;
        }
        routing.unanswered().routeCopy(parked, reason, routing.context());
    }

    private Result answer(ChallengeMail challenge, Verdict verdict, MailAddress recipient,
                          PendingOrder pending, ChallengeDetails details, Routing routing)
            throws MessagingException {
        Optional<String> orderUrl = Optional.of(details.orderUrl());
        // TODO: a replayed challenge of an earlier order that carries no Date is not recognised.
        Instant earliest = pending.openedAt().minus(CLOCK_SKEW);
        if (challenge.date().filter(date -> date.isBefore(earliest)).isPresent()) {
            return Result.rejected(RejectionReason.STALE_CHALLENGE, "the mail is dated "
                + challenge.date().get() + ", before the order was started at " + pending.openedAt())
                .withOrderUrl(orderUrl);
        }
        if (!challenge.isFrom(details.from())) {
            return Result.rejected(RejectionReason.FROM_MISMATCH, "From is "
                + challenge.from().getAddress() + ", the challenge comes from "
                + details.from().getAddress()).withOrderUrl(orderUrl);
        }
        if (!pending.claim()) {
            return Result.rejected(RejectionReason.ALREADY_ANSWERED,
                "the challenge is answered already").withOrderUrl(orderUrl);
        }
        // The durable claim lasts across restarts and nodes. It is never given back, so a
        // response is sent at most once even when sending fails halfway.
        if (!stateStore.claimChallenge(details.challengeUrl(), NODE, Instant.now())) {
            return Result.rejected(RejectionReason.ALREADY_ANSWERED,
                "the challenge was claimed before, by this or another node").withOrderUrl(orderUrl);
        }

        try {
            KeyAuthorization keyAuthorization = KeyAuthorization.of(challenge.tokenPart1(),
                details.tokenPart2(), orders.accountPublicKey());
            MimeMessage response = ResponseMail.create(challenge, internetAddress(recipient),
                keyAuthorization.response(), Session.getInstance(new Properties()));
            MailAddress responseRecipient = new MailAddress(challenge.responseRecipient());
            routing.context().sendMail(recipient, List.of(responseRecipient), response,
                routing.responseProcessor());
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("The response for {} of order {} was not handed to James; the durable claim "
                + "stays, so the order ends at its timeout and provisioning orders again",
                recipient.asString(), details.orderUrl());
            throw e;
        }
        orders.markAnswered(recipient.asString());
        orders.scheduleTrigger(recipient.asString(), details);
        return Result.answered(details.orderUrl(), verdict.detail() + ", response to "
            + challenge.responseRecipient().getAddress());
    }

    private static InternetAddress internetAddress(MailAddress address) throws AddressException {
        return new InternetAddress(address.asString(), true);
    }

    /**
     * The destinations of the responder: the mailet context, the processor that takes
     * responses, and the place for parked mails that end unanswered. When
     * {@code challengeMailDelivered} is true, every challenge mail goes on to delivery anyway,
     * so a parked copy is never delivered again.
     */
    public record Routing(MailetContext context, String responseProcessor, UnansweredMails unanswered,
                          boolean challengeMailDelivered) {
    }

    /** The outcome of one recipient's challenge. */
    public enum Outcome {
        ANSWERED,
        DEFERRED,
        REJECTED
    }

    /**
     * The outcome, with the reason when rejected, the order URL when answered, and a detail
     * for the log that names no secret.
     */
    public record Result(Outcome outcome, Optional<RejectionReason> reason, Optional<String> orderUrl,
                         String detail) {
        static Result answered(String orderUrl, String detail) {
            return new Result(Outcome.ANSWERED, Optional.empty(), Optional.of(orderUrl), detail);
        }

        static Result deferred(String detail) {
            return new Result(Outcome.DEFERRED, Optional.empty(), Optional.empty(), detail);
        }

        static Result rejected(RejectionReason reason, String detail) {
            return new Result(Outcome.REJECTED, Optional.of(reason), Optional.empty(), detail);
        }

        Result withOrderUrl(Optional<String> url) {
            return new Result(outcome, reason, orderUrl.or(() -> url), detail);
        }
    }
}
