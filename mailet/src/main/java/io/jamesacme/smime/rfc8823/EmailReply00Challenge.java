package io.jamesacme.smime.rfc8823;

import java.security.PublicKey;

import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;

import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.challenge.TokenChallenge;
import org.shredzone.acme4j.exception.AcmeProtocolException;
import org.shredzone.acme4j.toolbox.JSON;

/**
 * The {@code email-reply-00} challenge of RFC 8823. Its {@code token} is token-part2, and its
 * {@code from} is the address the challenge mail comes from. Token-part1 arrives in that mail.
 */
public class EmailReply00Challenge extends TokenChallenge {
    private static final long serialVersionUID = 1L;

    /** The challenge type name registered by RFC 8823. */
    public static final String TYPE = "email-reply-00";

    public EmailReply00Challenge(Login login, JSON data) {
        super(login, data);
    }

    @Override
    protected boolean acceptable(String type) {
        return TYPE.equals(type);
    }

    /** Returns token-part2, the token the CA put into the challenge object. */
    public String getTokenPart2() {
        return getToken();
    }

    /**
     * Returns the address the CA sends the challenge mail from.
     *
     * @throws AcmeProtocolException if the challenge has no valid {@code from}
     */
    public InternetAddress getFrom() {
        String from = getJSON().get("from").asString();
        try {
            return new InternetAddress(from, true);
        } catch (AddressException e) {
            throw new AcmeProtocolException("Invalid 'from' in email-reply-00 challenge: " + from, e);
        }
    }

    /** Computes the key authorization for the token-part1 taken from the challenge mail. */
    public KeyAuthorization keyAuthorization(String tokenPart1, PublicKey accountKey) {
        return KeyAuthorization.of(tokenPart1, getTokenPart2(), accountKey);
    }
}
