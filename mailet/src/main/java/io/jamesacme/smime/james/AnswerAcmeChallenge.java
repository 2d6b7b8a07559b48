package io.jamesacme.smime.james;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.james.ChallengeResponder.Outcome;
import io.jamesacme.smime.james.ChallengeResponder.Result;
import io.jamesacme.smime.rfc8823.ChallengeMail;
import io.jamesacme.smime.rfc8823.ChallengeMailParser;
import io.jamesacme.smime.rfc8823.InvalidChallengeMailException;

/**
 * Answers RFC 8823 challenge mails for the orders this server started, inside the mail
 * pipeline: it checks the mail, sends the response mail through the mailet context so that it
 * takes James' normal outgoing path, and has the challenge triggered afterwards.
 *
 * <p>Where each mail ends: an answered (or parked) challenge is consumed, or delivered when
 * {@code challengeMail} is {@code deliver}; a mail that is not answered continues down the
 * processor to normal delivery; a mail whose processing fails goes to {@code errorProcessor}.
 * Every case is logged with the mail name and the user.
 *
 * <p>Init parameters:
 * <ul>
 *   <li>{@code authenticity} (required): how the challenge mail must prove it comes from the
 *       CA. The only value so far is {@code unverified-lab-only}, which accepts unsigned
 *       challenges and is logged as a lab setting.</li>
 *   <li>{@code challengeMail}: {@code consume} (default) or {@code deliver} to the user.</li>
 *   <li>{@code errorProcessor}: the processor for mails whose processing failed, default
 *       {@code error}.</li>
 * </ul>
 *
 * <pre>{@code
 * <mailet match="io.jamesacme.smime.james.IsAcmeChallenge"
 *         class="io.jamesacme.smime.james.AnswerAcmeChallenge">
 *   <authenticity>unverified-lab-only</authenticity>
 *   <challengeMail>consume</challengeMail>
 * </mailet>
 * }</pre>
 */
public class AnswerAcmeChallenge extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(AnswerAcmeChallenge.class);

    static final String AUTHENTICITY = "authenticity";
    static final String CHALLENGE_MAIL = "challengeMail";
    static final String ERROR_PROCESSOR = "errorProcessor";

    /** Accepts challenge mails without a DKIM or S/MIME signature. For labs only. */
    static final String UNVERIFIED_LAB_ONLY = "unverified-lab-only";

    private final ChallengeResponder responder;
    private boolean deliverChallengeMail;
    private String errorProcessor;

    @Inject
    public AnswerAcmeChallenge(ChallengeResponder responder) {
        this.responder = responder;
    }

    @Override
    public void init() throws MessagingException {
        // TODO: DKIM and S/MIME verification of the challenge mail; only the lab setting exists.
        String authenticity = getInitParameter(AUTHENTICITY, "");
        if (!UNVERIFIED_LAB_ONLY.equals(authenticity)) {
            throw new MessagingException("Invalid value '" + authenticity + "' for init parameter '"
                + AUTHENTICITY + "' of " + getClass().getSimpleName() + ": expected '"
                + UNVERIFIED_LAB_ONLY + "' (DKIM and S/MIME checks are not available yet)");
        }
        LOGGER.warn("{}: authenticity={}: challenge mails are answered WITHOUT checking a DKIM or "
            + "S/MIME signature; use this in a lab only", getMailetName(), authenticity);

        String challengeMail = getInitParameter(CHALLENGE_MAIL, "consume").toLowerCase(Locale.ROOT);
        switch (challengeMail) {
            case "consume" -> deliverChallengeMail = false;
            case "deliver" -> deliverChallengeMail = true;
            default -> throw new MessagingException("Invalid value '" + challengeMail
                + "' for init parameter '" + CHALLENGE_MAIL + "': expected consume or deliver");
        }
        errorProcessor = getInitParameter(ERROR_PROCESSOR, Mail.ERROR);
    }

    @Override
    public void service(Mail mail) {
        try {
            handle(mail);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("Challenge mail {} for {} could not be processed; moving it to processor {}",
                mail.getName(), mail.getRecipients(), errorProcessor, e);
            mail.setErrorMessage(e.toString());
            mail.setState(errorProcessor);
        }
    }

    private void handle(Mail mail) throws MessagingException {
        ChallengeMail challenge;
        try {
            challenge = ChallengeMailParser.parse(mail.getMessage());
        } catch (InvalidChallengeMailException e) {
            LOGGER.warn("Mail {} for {} is not a valid challenge ({}); delivering it unanswered",
                mail.getName(), mail.getRecipients(), e.getMessage());
            return;
        }

        List<MailAddress> unanswered = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            Result result = responder.respond(challenge, recipient, getMailetContext(), mail);
            log(mail, recipient, result);
            if (result.outcome() == Outcome.REJECTED) {
                unanswered.add(recipient);
            }
        }
        route(mail, unanswered);
    }

    private void route(Mail mail, List<MailAddress> unanswered) {
        if (deliverChallengeMail) {
            LOGGER.info("Challenge mail {} for {} continues to delivery ({}=deliver)",
                mail.getName(), mail.getRecipients(), CHALLENGE_MAIL);
            return;
        }
        if (unanswered.isEmpty()) {
            LOGGER.info("Challenge mail {} for {} consumed", mail.getName(), mail.getRecipients());
            mail.setState(Mail.GHOST);
            return;
        }
        mail.setRecipients(unanswered);
    }

    private static void log(Mail mail, MailAddress recipient, Result result) {
        switch (result.outcome()) {
            case ANSWERED -> LOGGER.info("Challenge mail {} for {} answered for order {}",
                mail.getName(), recipient.asString(), result.orderUrl().orElse("(unknown)"));
            case DEFERRED -> LOGGER.info("Challenge mail {} for {} parked until its order is ready",
                mail.getName(), recipient.asString());
            case REJECTED -> LOGGER.warn("Challenge mail {} for {} not answered ({}); delivering it",
                mail.getName(), recipient.asString(),
                result.reason().map(reason -> reason.code()).orElse("unknown"));
        }
    }

    @Override
    public String getMailetInfo() {
        return "Answers RFC 8823 email-reply-00 challenges for pending ACME orders";
    }
}
