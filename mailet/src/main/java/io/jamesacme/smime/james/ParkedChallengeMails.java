package io.jamesacme.smime.james;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.authenticity.Verdict;
import io.jamesacme.smime.james.ChallengeResponder.Outcome;
import io.jamesacme.smime.james.ChallengeResponder.Result;
import io.jamesacme.smime.james.ChallengeResponder.Routing;
import io.jamesacme.smime.rfc8823.ChallengeMail;
import io.jamesacme.smime.rfc8823.RejectionReason;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;

/**
 * Challenge mails that arrived while their order was still {@link OrderState#CREATED}: some
 * CAs mail the challenge as soon as the authorization is fetched, before the order has
 * written its token-part2. A copy of the mail waits here, off the mail pipeline, and the store
 * is read every {@value #POLL_MILLIS} ms until the order has its challenge, ends, or
 * {@code challenge.timeout} passes. The copy is then answered or routed as unanswered.
 *
 * <p>NOTE: parked copies live in memory, so a restart loses them; the order then fails at its
 * timeout, and the next provisioning run orders again.
 */
final class ParkedChallengeMails {
    private static final Logger LOGGER = LoggerFactory.getLogger(ParkedChallengeMails.class);
    private static final long POLL_MILLIS = 250;

    private final StateStore store;
    private final ChallengeMetrics metrics;
    private final ChallengeResponder responder;
    private final Clock clock;
    private final Duration timeout;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "acme-smime-parked-challenges");
        thread.setDaemon(true);
        return thread;
    });

    ParkedChallengeMails(StateStore store, ChallengeMetrics metrics, ChallengeResponder responder,
                         Clock clock, Duration timeout) {
        this.store = store;
        this.metrics = metrics;
        this.responder = responder;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** Parks a copy of {@code mail} for {@code recipient} until {@code order} has its challenge. */
    void park(ChallengeMail challenge, Verdict verdict, MailAddress recipient, OrderRecord order,
              Mail mail, Routing routing) throws MessagingException {
        LOGGER.info("Challenge mail {} for {} arrived before order {} has its challenge; the answer"
            + " waits for the order", mail.getName(), recipient.asString(), order.id());
        Mail copy = mail.duplicate();
        copy.setRecipients(List.of(recipient));
        Parked parked = new Parked(challenge, verdict, recipient, order.id(), copy, routing,
            clock.instant().plus(timeout));
        poller.schedule(() -> poll(parked), POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void poll(Parked parked) {
        try {
            Optional<OrderRecord> order = store.order(parked.orderId());
            if (order.isPresent() && order.get().state() == OrderState.CREATED
                    && clock.instant().isBefore(parked.deadline())) {
                poller.schedule(() -> poll(parked), POLL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            if (order.isPresent() && order.get().state() == OrderState.AUTHORIZATION_FETCHED) {
                answer(parked, order.get());
                return;
            }
            RejectionReason reason = order.isEmpty() || order.get().state() == OrderState.CREATED
                ? RejectionReason.ORDER_EXPIRED : responder.reasonForEnded(order.get());
            reject(parked, reason, order.map(OrderRecord::state).map(Object::toString).orElse("missing"));
        } catch (RuntimeException e) {
            LOGGER.error("Answering the parked challenge mail {} for {} failed", parked.mail().getName(),
                parked.recipient().asString(), e);
            reject(parked, RejectionReason.ORDER_FAILED, "the answer failed: " + e);
        }
    }

    private void answer(Parked parked, OrderRecord order) {
        Result result;
        try {
            result = responder.answer(parked.challenge(), parked.verdict(), parked.recipient(), order,
                parked.routing());
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("Sending the response to parked challenge mail {} for {} of order {} failed",
                parked.mail().getName(), parked.recipient().asString(), order.id(), e);
            result = Result.rejected(RejectionReason.ORDER_FAILED, "sending the response failed");
        }
        if (result.outcome() == Outcome.ANSWERED) {
            metrics.answered();
            LOGGER.info("Parked challenge mail {} for {} answered for order {} ({})", parked.mail().getName(),
                parked.recipient().asString(), result.orderUrl().orElse(order.id()), result.detail());
            return;
        }
        reject(parked, result.reason().orElseThrow(), result.detail());
    }

    private void reject(Parked parked, RejectionReason reason, String detail) {
        metrics.rejected(reason);
        LOGGER.warn("Parked challenge mail {} for {} of order {} not answered ({}): {}",
            parked.mail().getName(), parked.recipient().asString(), parked.orderId(), reason.code(), detail);
        Routing routing = parked.routing();
        if (routing.challengeMailDelivered()) {
            LOGGER.info("Parked challenge mail {} for {} ({}) is not delivered again: its original"
                + " was delivered (challengeMail=deliver)", parked.mail().getName(),
                parked.recipient().asString(), reason.code());
            return;
        }
        routing.unanswered().routeCopy(parked.mail(), reason, routing.context());
    }

    private record Parked(ChallengeMail challenge, Verdict verdict, MailAddress recipient, String orderId,
                          Mail mail, Routing routing, Instant deadline) {
    }
}
