package io.jamesacme.smime.james;

import java.util.Collection;
import java.util.List;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;

import io.jamesacme.smime.rfc8823.ChallengeSubject;
import io.jamesacme.smime.store.PendingChallenges;

/**
 * Matches the recipients of a mail that looks like an RFC 8823 challenge and for whom this
 * server has an open certificate order.
 *
 * <p>The checks run from cheap to dear: one Subject header that starts with {@code ACME:} (or
 * is RFC 2047-encoded), then a map lookup per recipient. A parked challenge that is
 * redelivered unanswered carries a marker attribute and is not matched again. The token
 * itself is validated by {@link AnswerAcmeChallenge}. Other mail passes through untouched.
 * No init parameters.
 *
 * <pre>{@code
 * <mailet match="io.jamesacme.smime.james.IsAcmeChallenge"
 *         class="io.jamesacme.smime.james.AnswerAcmeChallenge">
 *   <authenticity>unverified-lab-only</authenticity>
 * </mailet>
 * }</pre>
 */
public class IsAcmeChallenge extends GenericMatcher {
    private final PendingChallenges pendingChallenges;

    @Inject
    public IsAcmeChallenge(PendingChallenges pendingChallenges) {
        this.pendingChallenges = pendingChallenges;
    }

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        boolean redelivered = mail.getAttribute(ChallengeResponder.UNANSWERED).isPresent();
        if (redelivered || !hasChallengeSubject(mail)) {
            return List.of();
        }
        return mail.getRecipients().stream()
            .filter(recipient -> pendingChallenges.isOpen(recipient.asString()))
            .toList();
    }

    private static boolean hasChallengeSubject(Mail mail) throws MessagingException {
        String[] subjects = mail.getMessage().getHeader("Subject");
        return subjects != null && subjects.length > 0
            && ChallengeSubject.looksLikeChallenge(subjects[0]);
    }
}
