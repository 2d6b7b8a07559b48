package io.jamesacme.smime.james;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.acme.CertificateOrderService;
import io.jamesacme.smime.rfc8823.ChallengeMail;
import io.jamesacme.smime.rfc8823.KeyAuthorization;
import io.jamesacme.smime.rfc8823.RejectionReason;
import io.jamesacme.smime.rfc8823.ResponseMail;
import io.jamesacme.smime.store.PendingChallenges;
import io.jamesacme.smime.store.PendingChallenges.ChallengeDetails;
import io.jamesacme.smime.store.PendingChallenges.PendingOrder;

/**
 * Answers a parsed challenge mail for one recipient: checks it against the pending order,
 * claims the challenge, sends the response through the mailet context and schedules the
 * trigger. When the challenge mail arrives before the order has token-part2, the answer is
 * parked until the order records the challenge details.
 */
public class ChallengeResponder {
    private static final Logger LOGGER = LoggerFactory.getLogger(ChallengeResponder.class);

    /** Marks a parked challenge mail that is redelivered unanswered. */
    static final AttributeName UNANSWERED = AttributeName.of("io.jamesacme.smime.unanswered");

    private final PendingChallenges pendingChallenges;
    private final CertificateOrderService orders;

    @Inject
    public ChallengeResponder(PendingChallenges pendingChallenges, CertificateOrderService orders) {
        this.pendingChallenges = pendingChallenges;
        this.orders = orders;
    }

    /**
     * Answers the challenge now, or parks it when the challenge details are not known yet.
     * Parked answers are sent from another thread, so the mail pipeline never waits for the CA.
     */
    public Result respond(ChallengeMail challenge, MailAddress recipient, MailetContext context,
                          Mail mail) throws MessagingException {
        String mailName = mail.getName();
        Optional<PendingOrder> pending = pendingChallenges.find(recipient.asString());
        if (pending.isEmpty()) {
            return Result.rejected(RejectionReason.NO_PENDING_ORDER);
        }

        CompletableFuture<ChallengeDetails> details = pending.get().challenge();
        if (details.isDone() && !details.isCancelled()) {
            return answer(challenge, recipient, pending.get(), details.join(), context);
        }

        LOGGER.info("Challenge mail {} for {} arrived before the order has its challenge; "
            + "the answer waits for the order", mailName, recipient.asString());
        Mail parked = parkedCopy(mail, recipient);
        details.thenAcceptAsync(ready -> answerParked(challenge, recipient, pending.get(), ready,
                context, parked))
            .exceptionally(error -> {
                if (error instanceof CancellationException
                    || error.getCause() instanceof CancellationException) {
                    redeliver(parked, recipient, context, "its order closed before the challenge "
                        + "was known");
                } else {
                    LOGGER.error("Answering the parked challenge mail {} for {} failed", mailName,
                        recipient.asString(), error);
                    redeliver(parked, recipient, context, "answering it failed");
                }
                return null;
            });
        return Result.deferred();
    }

    private void answerParked(ChallengeMail challenge, MailAddress recipient, PendingOrder pending,
                              ChallengeDetails details, MailetContext context, Mail parked) {
        try {
            Result result = answer(challenge, recipient, pending, details, context);
            if (result.outcome() == Outcome.ANSWERED) {
                LOGGER.info("Parked challenge mail {} for {} answered for order {}", parked.getName(),
                    recipient.asString(), details.orderUrl());
            } else {
                redeliver(parked, recipient, context, "it was not answered ("
                    + result.reason().map(RejectionReason::code).orElse("unknown") + ")");
            }
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("Sending the response to parked challenge mail {} for {} of order {} failed",
                parked.getName(), recipient.asString(), details.orderUrl(), e);
            redeliver(parked, recipient, context, "sending the response failed");
        }
    }

    /**
     * Copies the mail for one recipient and marks it, so that a later redelivery passes
     * {@link IsAcmeChallenge} instead of being parked again.
     */
    private static Mail parkedCopy(Mail mail, MailAddress recipient) throws MessagingException {
        Mail copy = mail.duplicate();
        copy.setRecipients(List.of(recipient));
        copy.setAttribute(new Attribute(UNANSWERED, AttributeValue.of(true)));
        return copy;
    }

    /** Sends a parked mail that was not answered back into the pipeline for normal delivery. */
    private static void redeliver(Mail parked, MailAddress recipient, MailetContext context,
                                  String why) {
        try {
            context.sendMail(parked);
            LOGGER.warn("Parked challenge mail {} for {} is delivered unanswered because {}",
                parked.getName(), recipient.asString(), why);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("Parked challenge mail {} for {} was lost because {} and redelivering it "
                + "failed", parked.getName(), recipient.asString(), why, e);
        }
    }

    private Result answer(ChallengeMail challenge, MailAddress recipient, PendingOrder pending,
                          ChallengeDetails details, MailetContext context) throws MessagingException {
        if (!challenge.isFrom(details.from())) {
            return Result.rejected(RejectionReason.FROM_MISMATCH);
        }
        if (!pending.claim()) {
            return Result.rejected(RejectionReason.ALREADY_ANSWERED);
        }

        KeyAuthorization keyAuthorization = KeyAuthorization.of(challenge.tokenPart1(),
            details.tokenPart2(), orders.accountPublicKey());
        MimeMessage response = ResponseMail.create(challenge, internetAddress(recipient),
            keyAuthorization.response(), Session.getInstance(new java.util.Properties()));
        MailAddress responseRecipient = new MailAddress(challenge.responseRecipient());

        context.sendMail(recipient, List.of(responseRecipient), response);
        orders.markAnswered(recipient.asString());
        orders.scheduleTrigger(recipient.asString(), details);
        return Result.answered(details.orderUrl());
    }

    private static InternetAddress internetAddress(MailAddress address) throws AddressException {
        return new InternetAddress(address.asString(), true);
    }

    /** The outcome of one recipient's challenge. */
    public enum Outcome {
        ANSWERED,
        DEFERRED,
        REJECTED
    }

    /**
     * The outcome, with the reason when rejected and the order URL when answered.
     */
    public record Result(Outcome outcome, Optional<RejectionReason> reason, Optional<String> orderUrl) {
        static Result answered(String orderUrl) {
            return new Result(Outcome.ANSWERED, Optional.empty(), Optional.of(orderUrl));
        }

        static Result deferred() {
            return new Result(Outcome.DEFERRED, Optional.empty(), Optional.empty());
        }

        static Result rejected(RejectionReason reason) {
            return new Result(Outcome.REJECTED, Optional.of(reason), Optional.empty());
        }
    }
}
