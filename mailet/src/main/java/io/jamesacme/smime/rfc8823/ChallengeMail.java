package io.jamesacme.smime.rfc8823;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.mail.internet.InternetAddress;

/**
 * The fields of an RFC 8823 challenge mail that the response depends on.
 *
 * @param tokenPart1 the token from the Subject; a secret, never to be logged
 * @param from the single From address
 * @param to the To addresses, possibly empty
 * @param replyTo the Reply-To addresses, possibly empty
 * @param messageId the Message-ID, when the CA sent one
 * @param autoSubmitted the Auto-Submitted value, when the CA sent one
 * @param date the Date of the mail, when the CA sent one
 */
public record ChallengeMail(String tokenPart1, InternetAddress from, List<InternetAddress> to,
                            List<InternetAddress> replyTo, Optional<String> messageId,
                            Optional<String> autoSubmitted, Optional<Instant> date) {

    public ChallengeMail {
        to = List.copyOf(to);
        replyTo = List.copyOf(replyTo);
    }

    /** Returns where the response goes: the first Reply-To address, otherwise From. */
    public InternetAddress responseRecipient() {
        return replyTo.isEmpty() ? from : replyTo.get(0);
    }

    /** Returns true when From is the given address, ignoring case and display names. */
    public boolean isFrom(InternetAddress expected) {
        return normalize(from).equals(normalize(expected));
    }

    private static String normalize(InternetAddress address) {
        return address.getAddress().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "ChallengeMail[from=" + from.getAddress() + ", messageId=" + messageId.orElse("none")
            + "]";
    }
}
