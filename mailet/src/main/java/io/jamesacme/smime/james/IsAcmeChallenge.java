package io.jamesacme.smime.james;

import java.util.Collection;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;

import io.jamesacme.smime.rfc8823.ChallengeSubject;

/**
 * Matches every recipient of a mail whose single Subject header looks like an RFC 8823
 * challenge ({@code ACME: ...}, RFC 2047-encoded, or a reply {@code Re: ACME: ...}). The test
 * is one header read and needs no lookup, so other mail passes at no cost. Whether the mail is
 * answered is decided by {@link AnswerAcmeChallenge}, which also gives every unanswered mail
 * its reason. Mail that a mailet created is never matched: our own responses to a CA mailbox
 * on this server, and copies that {@link AnswerAcmeChallenge} sent back to the pipeline.
 * No init parameters.
 *
 * <pre>{@code
 * <mailet match="io.jamesacme.smime.james.IsAcmeChallenge"
 *         class="io.jamesacme.smime.james.AnswerAcmeChallenge"/>
 * }</pre>
 */
public class IsAcmeChallenge extends GenericMatcher {

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        boolean sentByMailet = mail.getAttribute(Mail.SENT_BY_MAILET_ATTRIBUTE.getName()).isPresent()
            || mail.getAttribute(UnansweredMails.REDELIVERED).isPresent();
        if (sentByMailet || !hasChallengeSubject(mail)) {
            return List.of();
        }
        return mail.getRecipients();
    }

    private static boolean hasChallengeSubject(Mail mail) throws MessagingException {
        String[] subjects = mail.getMessage().getHeader("Subject");
        return subjects != null && subjects.length > 0
            && ChallengeSubject.looksLikeChallenge(subjects[0]);
    }
}
