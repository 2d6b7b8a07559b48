package io.jamesacme.smime.james;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

import javax.mail.MessagingException;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.apache.james.mailrepository.api.MailRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * Where a challenge-looking mail goes when it is not answered: on to the user's INBOX with a
 * header that names the reason, or into a mail repository. Either way the reason code is
 * set as the header {@value #REASON_HEADER} and as the mail attribute {@link #REASON}.
 * A mail whose Subject holds no valid token, such as {@code ACME: Q3 results}, is likely
 * ordinary mail, so it always goes on to the INBOX.
 */
public final class UnansweredMails {
    private static final Logger LOGGER = LoggerFactory.getLogger(UnansweredMails.class);

    /** The header that names why the mail was not answered; any incoming value is replaced. */
    static final String REASON_HEADER = "X-Acme-Smime-Unanswered";
    static final AttributeName REASON = AttributeName.of("io.jamesacme.smime.unanswered-reason");
    /** Marks a copy sent back to the pipeline, so that the matcher lets it pass. */
    static final AttributeName REDELIVERED = AttributeName.of("io.jamesacme.smime.unanswered");

    /** The configured place for unanswered mails. */
    enum Target {
        INBOX, REPOSITORY;

        static Target parse(String value) {
            return switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "inbox" -> INBOX;
                case "repository" -> REPOSITORY;
                default -> throw new IllegalArgumentException("expected inbox or repository");
            };
        }
    }

    private static final Set<RejectionReason> LIKELY_ORDINARY_MAIL = EnumSet.of(
        RejectionReason.NOT_A_CHALLENGE_SUBJECT, RejectionReason.MALFORMED_SUBJECT,
        RejectionReason.TOKEN_INVALID_CHARACTER, RejectionReason.TOKEN_TOO_SHORT,
        RejectionReason.TOKEN_TOO_LONG);

    private final Target target;
    private final MailRepository repository;
    private final String repositoryUrl;

    UnansweredMails(Target target, MailRepository repository, String repositoryUrl) {
        this.target = target;
        this.repository = repository;
        this.repositoryUrl = repositoryUrl;
    }

    /** Routes a mail that is still in the mailet pipeline. */
    void route(Mail mail, RejectionReason reason) throws MessagingException {
        mark(mail, reason);
        if (storesInRepository(reason)) {
            repository.store(mail);
            mail.setState(Mail.GHOST);
            LOGGER.info("Unanswered challenge mail {} for {} stored in {} ({})", mail.getName(),
                mail.getRecipients(), repositoryUrl, reason.code());
        }
    }

    /**
     * Routes a copy that is outside the pipeline: a parked mail answered too late, or the
     * recipients of a mail whose reasons differ. The copy re-enters at the root processor.
     */
    void routeCopy(Mail copy, RejectionReason reason, MailetContext context) {
        try {
            mark(copy, reason);
            copy.setAttribute(new Attribute(REDELIVERED, AttributeValue.of(true)));
            if (storesInRepository(reason)) {
                repository.store(copy);
                LOGGER.info("Unanswered challenge mail {} for {} stored in {} ({})", copy.getName(),
                    copy.getRecipients(), repositoryUrl, reason.code());
            } else {
                context.sendMail(copy);
                LOGGER.info("Unanswered challenge mail {} for {} sent on to delivery ({})",
                    copy.getName(), copy.getRecipients(), reason.code());
            }
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("Unanswered challenge mail {} for {} ({}) was lost: routing it failed",
                copy.getName(), copy.getRecipients(), reason.code(), e);
        }
    }

    private boolean storesInRepository(RejectionReason reason) {
        return target == Target.REPOSITORY && !LIKELY_ORDINARY_MAIL.contains(reason);
    }

    private static void mark(Mail mail, RejectionReason reason) throws MessagingException {
        mail.getMessage().setHeader(REASON_HEADER, reason.code());
        mail.setAttribute(new Attribute(REASON, AttributeValue.of(reason.code())));
    }
}
