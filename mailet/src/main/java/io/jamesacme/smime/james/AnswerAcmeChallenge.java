package io.jamesacme.smime.james;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.authenticity.AuthenticityPolicy;
import io.jamesacme.smime.authenticity.Verdict;
import io.jamesacme.smime.james.ChallengeResponder.Outcome;
import io.jamesacme.smime.james.ChallengeResponder.Result;
import io.jamesacme.smime.james.ChallengeResponder.Routing;
import io.jamesacme.smime.rfc8823.ChallengeMail;
import io.jamesacme.smime.rfc8823.ChallengeMailParser;
import io.jamesacme.smime.rfc8823.InvalidChallengeMailException;
import io.jamesacme.smime.rfc8823.MimeLimits;
import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * Answers RFC 8823 challenge mails for the orders this server started, inside the mail
 * pipeline. A mail is answered only when it is authentic under the CA profile
 * ({@code ca.authenticity} in {@code acme-smime.properties}), is addressed to the user alone,
 * comes from the CA our order names, and its challenge is not answered yet. The response goes
 * into {@code responseProcessor}, so that the outgoing path can sign it with DKIM.
 *
 * <p>Where each mail ends, with a log line naming the mail, the user, the order and the reason:
 * <ul>
 *   <li>answered or parked until its order is ready: consumed, or delivered when
 *       {@code challengeMail} is {@code deliver};</li>
 *   <li>not answered: delivered to the INBOX with the header {@code X-Acme-Smime-Unanswered}
 *       naming the reason code, or stored in {@code unansweredRepository} when
 *       {@code unansweredMail} is {@code repository};</li>
 *   <li>processing failed: moved to {@code errorProcessor}.</li>
 * </ul>
 *
 * <p>Init parameters:
 * <ul>
 *   <li>{@code challengeMail}: {@code consume} (default) or {@code deliver} to the user.</li>
 *   <li>{@code unansweredMail}: {@code inbox} (default) or {@code repository}.</li>
 *   <li>{@code unansweredRepository}: default {@code memory://var/mail/acme-smime-unanswered/}.</li>
 *   <li>{@code responseProcessor}: the processor that takes response mails, default
 *       {@code transport}.</li>
 *   <li>{@code errorProcessor}: the processor for mails whose processing failed, default
 *       {@code error}.</li>
 * </ul>
 *
 * <pre>{@code
 * <mailet match="io.jamesacme.smime.james.IsAcmeChallenge"
 *         class="io.jamesacme.smime.james.AnswerAcmeChallenge">
 *   <responseProcessor>acme-response</responseProcessor>
 *   <unansweredMail>inbox</unansweredMail>
 * </mailet>
 * }</pre>
 */
public class AnswerAcmeChallenge extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(AnswerAcmeChallenge.class);

    static final String CHALLENGE_MAIL = "challengeMail";
    static final String UNANSWERED_MAIL = "unansweredMail";
    static final String UNANSWERED_REPOSITORY = "unansweredRepository";
    static final String RESPONSE_PROCESSOR = "responseProcessor";
    static final String ERROR_PROCESSOR = "errorProcessor";
    static final String DEFAULT_UNANSWERED_REPOSITORY = "memory://var/mail/acme-smime-unanswered/";

    private final ChallengeResponder responder;
    private final AuthenticityPolicy authenticity;
    private final ChallengeMetrics metrics;
    private final MailRepositoryStore repositories;
    private final MimeLimits limits = MimeLimits.DEFAULT;
    private boolean deliverChallengeMail;
    private String errorProcessor;
    private String responseProcessor;
    private UnansweredMails unanswered;

    @Inject
    public AnswerAcmeChallenge(ChallengeResponder responder, AuthenticityPolicy authenticity,
                               ChallengeMetrics metrics, MailRepositoryStore repositories) {
        this.responder = responder;
        this.authenticity = authenticity;
        this.metrics = metrics;
        this.repositories = repositories;
    }

    @Override
    public void init() throws MessagingException {
        if (getInitParameter("authenticity") != null) {
            throw new MessagingException("Init parameter 'authenticity' of " + getMailetName()
                + " is no longer read: set ca.authenticity in acme-smime.properties instead");
        }
        String challengeMail = getInitParameter(CHALLENGE_MAIL, "consume").toLowerCase(Locale.ROOT);
        switch (challengeMail) {
            case "consume" -> deliverChallengeMail = false;
            case "deliver" -> deliverChallengeMail = true;
            default -> throw invalid(CHALLENGE_MAIL, challengeMail, "consume or deliver");
        }
        errorProcessor = getInitParameter(ERROR_PROCESSOR, Mail.ERROR);
        responseProcessor = getInitParameter(RESPONSE_PROCESSOR, Mail.TRANSPORT);

        String target = getInitParameter(UNANSWERED_MAIL, "inbox");
        String repositoryUrl = getInitParameter(UNANSWERED_REPOSITORY, DEFAULT_UNANSWERED_REPOSITORY);
        try {
            UnansweredMails.Target parsed = UnansweredMails.Target.parse(target);
            unanswered = new UnansweredMails(parsed, parsed == UnansweredMails.Target.REPOSITORY
                ? repositories.select(MailRepositoryUrl.from(repositoryUrl)) : null, repositoryUrl);
        } catch (IllegalArgumentException e) {
            throw invalid(UNANSWERED_MAIL + "/" + UNANSWERED_REPOSITORY, target + ", " + repositoryUrl,
                "inbox or repository, and a repository URL such as " + DEFAULT_UNANSWERED_REPOSITORY
                    + " (" + e.getMessage() + ")");
        } catch (MailRepositoryStore.MailRepositoryStoreException e) {
            throw new MessagingException("Cannot open the mail repository " + repositoryUrl + " for "
                + UNANSWERED_REPOSITORY + ": " + e.getMessage(), e);
        }
        LOGGER.info("{}: unanswered challenge mails go to {}, responses to processor {}",
            getMailetName(), target.equalsIgnoreCase("repository") ? repositoryUrl : "the INBOX",
            responseProcessor);
    }

    private MessagingException invalid(String parameter, String value, String expected) {
        return new MessagingException("Invalid value '" + value + "' for init parameter '"
            + parameter + "' of " + getMailetName() + ": expected " + expected);
    }

    @Override
    public void service(Mail mail) {
        try {
            handle(mail);
        } catch (MessagingException | RuntimeException | StackOverflowError e) {
            // A stack overflow from a parser would otherwise kill James' spooler thread and the mail.
            LOGGER.error("Challenge mail {} for {} could not be processed, so it moves to processor {}",
                mail.getName(), mail.getRecipients(), errorProcessor, e);
            mail.setErrorMessage(e.toString());
            mail.setState(errorProcessor);
        }
    }

    private void handle(Mail mail) throws MessagingException {
        MimeMessage message = mail.getMessage();
        ChallengeMail challenge;
        try {
            if (mail.getMaybeSender().isNullSender()) {
                throw new InvalidChallengeMailException(RejectionReason.NULL_SENDER,
                    "the envelope sender is empty, as in a bounce");
            }
            limits.check(message, mail.getMessageSize());
            challenge = ChallengeMailParser.parse(message);
        } catch (InvalidChallengeMailException e) {
            for (MailAddress recipient : mail.getRecipients()) {
                metrics.rejected(e.reason());
                LOGGER.warn("Challenge mail {} for {} not answered ({}): {}", mail.getName(),
                    recipient.asString(), e.reason().code(), e.getMessage());
            }
            unanswered.route(mail, e.reason());
            return;
        }

        Supplier<Verdict> verdict = once(() -> authenticity.check(message, challenge.from(),
            smtpAuthUser(mail)));
        Routing routing = new Routing(getMailetContext(), responseProcessor, unanswered,
            deliverChallengeMail);
        List<MailAddress> handled = new ArrayList<>();
        Map<RejectionReason, List<MailAddress>> rejected = new LinkedHashMap<>();
        for (MailAddress recipient : mail.getRecipients()) {
            Result result = responder.respond(challenge, verdict, recipient, mail, routing);
            log(mail, recipient, result);
            if (result.outcome() == Outcome.REJECTED) {
                rejected.computeIfAbsent(result.reason().orElseThrow(), any -> new ArrayList<>())
                    .add(recipient);
            } else {
                handled.add(recipient);
            }
        }
        route(mail, handled, rejected);
    }

    private void route(Mail mail, List<MailAddress> handled,
                       Map<RejectionReason, List<MailAddress>> rejected) throws MessagingException {
        if (handled.isEmpty() && rejected.size() == 1) {
            unanswered.route(mail, rejected.keySet().iterator().next());
            return;
        }
        for (Map.Entry<RejectionReason, List<MailAddress>> group : rejected.entrySet()) {
            Mail copy = mail.duplicate();
            copy.setRecipients(group.getValue());
            unanswered.routeCopy(copy, group.getKey(), getMailetContext());
        }
        if (deliverChallengeMail && !handled.isEmpty()) {
            mail.getMessage().removeHeader(UnansweredMails.REASON_HEADER);
            mail.setRecipients(handled);
            LOGGER.info("Challenge mail {} for {} continues to delivery ({}=deliver)",
                mail.getName(), handled, CHALLENGE_MAIL);
            return;
        }
        LOGGER.info("Challenge mail {} for {} consumed", mail.getName(), handled);
        mail.setState(Mail.GHOST);
    }

    private static Optional<String> smtpAuthUser(Mail mail) {
        return mail.getAttribute(Mail.SMTP_AUTH_USER)
            .map(attribute -> String.valueOf(attribute.getValue().value()))
            .filter(user -> !user.isBlank());
    }

    private static void log(Mail mail, MailAddress recipient, Result result) {
        String order = result.orderUrl().orElse("(none)");
        switch (result.outcome()) {
            case ANSWERED -> LOGGER.info("Challenge mail {} for {} answered for order {} ({})",
                mail.getName(), recipient.asString(), order, result.detail());
            case DEFERRED -> LOGGER.info("Challenge mail {} for {} parked until its order is ready ({})",
                mail.getName(), recipient.asString(), result.detail());
            case REJECTED -> LOGGER.warn("Challenge mail {} for {} of order {} not answered ({}): {}",
                mail.getName(), recipient.asString(), order,
                result.reason().map(RejectionReason::code).orElse("unknown"), result.detail());
        }
    }

    private static <T> Supplier<T> once(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }

    @Override
    public String getMailetInfo() {
        return "Answers authentic RFC 8823 email-reply-00 challenges for pending ACME orders";
    }
}
