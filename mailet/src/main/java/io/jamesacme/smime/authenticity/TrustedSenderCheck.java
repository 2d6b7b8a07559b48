package io.jamesacme.smime.authenticity;

import java.util.Optional;

import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * Accepts a challenge mail that the CA submitted on this James with SMTP AUTH: the user James
 * authenticated must be the CA's configured account, and From must be the CA's address.
 * James sets the SMTP AUTH attribute itself, so a remote sender cannot forge it.
 */
public final class TrustedSenderCheck implements AuthenticityCheck {
    private final String smtpUser;
    private final String address;

    public TrustedSenderCheck(String smtpUser, String address) {
        this.smtpUser = smtpUser;
        this.address = address;
    }

    @Override
    public AuthenticityMethod method() {
        return AuthenticityMethod.TRUSTED_LOCAL_SENDER;
    }

    @Override
    public Verdict check(MimeMessage message, InternetAddress from, Optional<String> smtpAuthUser) {
        if (smtpAuthUser.isEmpty()) {
            return Verdict.rejected(RejectionReason.SENDER_NOT_AUTHENTICATED,
                "the mail was not submitted with SMTP AUTH");
        }
        if (!smtpAuthUser.get().equalsIgnoreCase(smtpUser)) {
            return Verdict.rejected(RejectionReason.SENDER_NOT_TRUSTED, "the mail was submitted by "
                + smtpAuthUser.get() + ", not by the CA's account " + smtpUser);
        }
        if (!from.getAddress().equalsIgnoreCase(address)) {
            return Verdict.rejected(RejectionReason.SENDER_NOT_TRUSTED, "the CA's account submitted "
                + "a mail From " + from.getAddress() + ", not From " + address);
        }
        return Verdict.authentic(AuthenticityMethod.TRUSTED_LOCAL_SENDER,
            "submitted with SMTP AUTH by " + smtpUser);
    }
}
