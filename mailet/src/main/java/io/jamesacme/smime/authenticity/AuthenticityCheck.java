package io.jamesacme.smime.authenticity;

import java.util.Optional;

import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/** One way of proving that a challenge mail comes from the CA named in its From field. */
public interface AuthenticityCheck {

    /**
     * Checks the mail as it was received.
     *
     * @param message the challenge mail, unchanged since it was received
     * @param from the single From address of the mail
     * @param smtpAuthUser the SMTP AUTH user James recorded for the mail, if any
     */
    Verdict check(MimeMessage message, InternetAddress from, Optional<String> smtpAuthUser);

    AuthenticityMethod method();
}
