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
 * its reason. Two kinds of mail are not matched: a reply that a mailet created, which is our
 * own response to a CA mailbox on this server, and a copy that {@link AnswerAcmeChallenge}
 * sent back to the pipeline. Challenges forwarded by a mailet or Sieve are still matched.
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
        if (mail.getAttribute(UnansweredMails.REDELIVERED).isPresent()) {
            return List.of();
        }
        String[] subjects = mail.getMessage().getHeader("Subject");
        if (subjects == null || subjects.length == 0 || !ChallengeSubject.looksLikeChallenge(subjects[0])) {
            return List.of();
        }
        boolean sentByMailet = mail.getAttribute(Mail.SENT_BY_MAILET_ATTRIBUTE.getName()).isPresent();
        if (sentByMailet && ChallengeSubject.isReply(subjects[0])) {
            // Our own response, on its way to a CA mailbox hosted here.
            return List.of();
        }
        return mail.getRecipients();
    }
}
