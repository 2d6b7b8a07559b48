package io.jamesacme.smime.authenticity;

import java.util.List;
import java.util.Optional;

import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * The CA profile's rule for authentic challenge mails: the mail is authentic when one of the
 * configured checks accepts it. When all refuse, the reported reason is the first one that
 * found a signature and rejected it, so that a broken DKIM signature is not reported as a
 * missing S/MIME one.
 */
public final class AuthenticityPolicy {
    private static final Logger LOGGER = LoggerFactory.getLogger(AuthenticityPolicy.class);
    private static final List<RejectionReason> ABSENT = List.of(RejectionReason.DKIM_NONE,
        RejectionReason.SMIME_NONE, RejectionReason.SENDER_NOT_AUTHENTICATED);

    private final List<AuthenticityCheck> checks;
    private final boolean insecure;

    private AuthenticityPolicy(List<AuthenticityCheck> checks, boolean insecure) {
        this.checks = List.copyOf(checks);
        this.insecure = insecure;
    }

    /** Returns a policy under which one of the checks must accept the mail. */
    public static AuthenticityPolicy anyOf(List<AuthenticityCheck> checks) {
        if (checks.isEmpty()) {
            throw new IllegalArgumentException("at least one authenticity check is required");
        }
        return new AuthenticityPolicy(checks, false);
    }

    /** Returns a policy that accepts every mail unchecked. Each use logs a warning. */
    public static AuthenticityPolicy insecureUnsigned() {
        return new AuthenticityPolicy(List.of(), true);
    }

    public boolean isInsecure() {
        return insecure;
    }

    public Verdict check(MimeMessage message, InternetAddress from, Optional<String> smtpAuthUser) {
        if (insecure) {
            LOGGER.warn("Challenge mail from {} accepted WITHOUT an authenticity check "
                + "(ca.authenticity=insecure-unsigned); use this in a lab only", from.getAddress());
            return Verdict.authentic(AuthenticityMethod.INSECURE_UNSIGNED, "not checked");
        }
        Verdict reported = null;
        for (AuthenticityCheck check : checks) {
            Verdict verdict = check.check(message, from, smtpAuthUser);
            if (verdict.isAuthentic()) {
                return verdict;
            }
            boolean absent = verdict.reason().filter(ABSENT::contains).isPresent();
            if (reported == null || (!absent && reported.reason().filter(ABSENT::contains).isPresent())) {
                reported = verdict;
            }
        }
        return reported;
    }
}
