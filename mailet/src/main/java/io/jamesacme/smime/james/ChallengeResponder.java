package io.jamesacme.smime.james;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

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
import io.jamesacme.smime.acme.CrashPoint;
import io.jamesacme.smime.authenticity.Verdict;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.rfc8823.ChallengeMail;
import io.jamesacme.smime.rfc8823.KeyAuthorization;
import io.jamesacme.smime.rfc8823.RejectionReason;
import io.jamesacme.smime.rfc8823.ResponseMail;
import io.jamesacme.smime.state.ConcurrentUpdateException;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;

/**
 * Answers a parsed challenge mail for one recipient, from the order in the state store, so any
 * node that shares the store can answer an order that another node started. The checks run in
 * this order: an active order waits for the recipient, To names exactly the recipient, the mail
 * is authentic under the CA profile, the mail is not older than the order, From is the
 * {@code from} of the order's challenge, and nobody has claimed the challenge yet. Only then is
 * the response sent, through the mailet context into the configured processor.
 *
 * <p>The order moves to {@link OrderState#CHALLENGE_RECEIVED} before the response is sent and to
 * {@link OrderState#ANSWERED}, with the trigger time, once James has it. The node that drives
 * the order triggers the challenge. A mail that arrives before the order has fetched its challenge
 * is parked in {@link ParkedChallengeMails} and answered once it does.
 */
public class ChallengeResponder {
    private static final Logger LOGGER = LoggerFactory.getLogger(ChallengeResponder.class);

    /**
     * How much older than its order a challenge's Date may be, for clocks that differ. An
     * older mail belongs to an earlier order of the same address.
     */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(10);

    private final StateStore store;
    private final CertificateOrderService orders;
    private final ChallengeMetrics metrics;
    private final Clock clock;
    private final String nodeId;
    private final Duration triggerDelay;
    private final Duration challengeTimeout;
    private final ParkedChallengeMails parked;

    @Inject
    public ChallengeResponder(StateStore store, CertificateOrderService orders, ChallengeMetrics metrics,
                              AcmeSmimeConfiguration configuration) {
        this(store, orders, metrics, configuration, Clock.systemUTC());
    }

    ChallengeResponder(StateStore store, CertificateOrderService orders, ChallengeMetrics metrics,
                       AcmeSmimeConfiguration configuration, Clock clock) {
        this.store = store;
        this.orders = orders;
        this.metrics = metrics;
        this.clock = clock;
        this.nodeId = configuration.nodeId();
        this.triggerDelay = configuration.triggerDelay();
        this.challengeTimeout = configuration.challengeTimeout();
        this.parked = new ParkedChallengeMails(store, metrics, this, clock, challengeTimeout);
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
        String address = recipient.asString().toLowerCase(Locale.ROOT);
        Optional<OrderRecord> active = store.activeOrder(address);
        if (active.isEmpty()) {
            return Result.rejected(noOrderReason(address), "no order waits for " + address);
        }
        OrderRecord order = active.get();
        Optional<Result> addressed = checkAddressedTo(challenge, recipient);
        if (addressed.isPresent()) {
            return addressed.get().withOrderUrl(order.orderUrl());
        }
        Verdict verdict = authenticity.get();
        if (!verdict.isAuthentic()) {
            return Result.rejected(verdict.reason().orElseThrow(), verdict.detail())
                .withOrderUrl(order.orderUrl());
        }

        return switch (order.state()) {
            case CREATED -> {
                parked.park(challenge, verdict, recipient, order, mail, routing);
                yield Result.deferred(verdict.detail());
            }
            case AUTHORIZATION_FETCHED -> answer(challenge, verdict, recipient, order, routing);
            default -> Result.rejected(RejectionReason.ALREADY_ANSWERED, "order " + order.id()
                + " is " + order.state() + ", past its challenge").withOrderUrl(order.orderUrl());
        };
    }

    /** Names the reason for a mail to an address without an active order, from its latest order. */
    RejectionReason noOrderReason(String address) {
        Optional<OrderRecord> latest = store.latestOrder(address);
        Instant recent = clock.instant().minus(challengeTimeout).minus(CLOCK_SKEW);
        if (latest.isEmpty() || latest.get().updatedAt().isBefore(recent)) {
            return RejectionReason.NO_PENDING_ORDER;
        }
        return reasonForEnded(latest.get());
    }

    /** Names the reason for a mail to an order that has ended. */
    RejectionReason reasonForEnded(OrderRecord order) {
        if (order.state() != OrderState.FAILED) {
            return RejectionReason.ALREADY_ANSWERED;
        }
        Optional<String> challengeUrl = order.challengeUrl();
        if (challengeUrl.isEmpty()) {
            return RejectionReason.ORDER_FAILED;
        }
        return store.isChallengeClaimed(challengeUrl.get()) ? RejectionReason.ALREADY_ANSWERED
            : RejectionReason.ORDER_EXPIRED;
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

    /** Answers for an order in {@link OrderState#AUTHORIZATION_FETCHED}, after the last checks. */
    Result answer(ChallengeMail challenge, Verdict verdict, MailAddress recipient, OrderRecord order,
                  Routing routing) throws MessagingException {
        Optional<String> orderUrl = order.orderUrl();
        // TODO: a replayed challenge of an earlier order that carries no Date is not recognised.
        Instant earliest = order.createdAt().minus(CLOCK_SKEW);
        if (challenge.date().filter(date -> date.isBefore(earliest)).isPresent()) {
            return Result.rejected(RejectionReason.STALE_CHALLENGE, "the mail is dated "
                + challenge.date().get() + ", before the order was started at " + order.createdAt())
                .withOrderUrl(orderUrl);
        }
        InternetAddress expectedFrom = new InternetAddress(order.challengeFrom().orElseThrow(), false);
        if (!challenge.isFrom(expectedFrom)) {
            return Result.rejected(RejectionReason.FROM_MISMATCH, "From is "
                + challenge.from().getAddress() + ", the challenge comes from "
                + expectedFrom.getAddress()).withOrderUrl(orderUrl);
        }
        // The claim lasts across restarts and nodes. It is never given back, so a response is
        // sent at most once even when sending fails halfway.
        String challengeUrl = order.challengeUrl().orElseThrow();
        if (!store.claimChallenge(challengeUrl, nodeId, clock.instant())) {
            return Result.rejected(RejectionReason.ALREADY_ANSWERED,
                "the challenge was claimed before, by this or another node").withOrderUrl(orderUrl);
        }
        Optional<OrderRecord> received = moveTo(order, OrderState.AUTHORIZATION_FETCHED,
            current -> current.advancedTo(OrderState.CHALLENGE_RECEIVED, clock.instant()));
        if (received.isEmpty()) {
            // This mail made the claim, so the order ended without its answer, or moved on.
            OrderRecord current = store.order(order.id()).orElse(order);
            RejectionReason reason = current.state() == OrderState.FAILED
                ? RejectionReason.ORDER_EXPIRED : RejectionReason.ALREADY_ANSWERED;
            return Result.rejected(reason, "order " + order.id() + " became " + current.state()
                + " before the answer").withOrderUrl(orderUrl);
        }
        CrashPoint.CHALLENGE_RECEIVED.reached(order.id());

        sendResponse(challenge, recipient, received.get(), routing);
        Instant sent = clock.instant();
        Optional<OrderRecord> answered = moveTo(received.get(), OrderState.CHALLENGE_RECEIVED,
            current -> current.advancedTo(OrderState.ANSWERED, sent).notBefore(sent.plus(triggerDelay), sent));
        answered.ifPresentOrElse(orders::answered, () -> LOGGER.warn("Order {} for {} left {} while its"
            + " response was sent; it is not triggered", order.id(), order.address(),
            OrderState.CHALLENGE_RECEIVED));
        return Result.answered(orderUrl.orElse(order.id()), verdict.detail() + ", response to "
            + challenge.responseRecipient().getAddress());
    }

    private void sendResponse(ChallengeMail challenge, MailAddress recipient, OrderRecord order,
                              Routing routing) throws MessagingException {
        try {
            KeyAuthorization keyAuthorization = KeyAuthorization.of(challenge.tokenPart1(),
                order.tokenPart2().orElseThrow(), orders.accountPublicKey());
            MimeMessage response = ResponseMail.create(challenge, internetAddress(recipient),
                keyAuthorization.response(), Session.getInstance(new Properties()));
            MailAddress responseRecipient = new MailAddress(challenge.responseRecipient());
            routing.context().sendMail(recipient, List.of(responseRecipient), response,
                routing.responseProcessor());
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("The response for {} of order {} was not handed to James. The claim stays, so"
                + " the order fails once it has been {} for 30 s, and a new order replaces it",
                recipient.asString(), order.orderUrl().orElse(order.id()), OrderState.CHALLENGE_RECEIVED);
            throw e;
        }
    }

    /**
     * Writes {@code change} of the order while it is in {@code expected}, reading it again after
     * a concurrent write. Returns empty when the order has left {@code expected}.
     */
    private Optional<OrderRecord> moveTo(OrderRecord order, OrderState expected,
                                         UnaryOperator<OrderRecord> change) {
        OrderRecord current = order;
        for (int attempt = 0; attempt < 5; attempt++) {
            if (current.state() != expected) {
                return Optional.empty();
            }
            try {
                return Optional.of(store.update(change.apply(current)));
            } catch (ConcurrentUpdateException e) {
                Optional<OrderRecord> reread = store.order(order.id());
                if (reread.isEmpty()) {
                    return Optional.empty();
                }
                current = reread.get();
            }
        }
        return Optional.empty();
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
