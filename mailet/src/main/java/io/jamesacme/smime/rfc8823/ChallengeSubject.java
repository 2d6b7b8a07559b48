package io.jamesacme.smime.rfc8823;

import java.io.UnsupportedEncodingException;
import java.util.regex.Pattern;

import javax.mail.internet.MimeUtility;

/**
 * Reads token-part1 from the Subject of an RFC 8823 challenge mail, {@code ACME: <token-part1>}.
 * The Subject may be folded and RFC 2047-encoded, and spaces around the token are tolerated.
 * Token-part1 must be base64url and carry at least 128 bits, so at least 22 characters.
 */
public final class ChallengeSubject {
    /** The prefix RFC 8823 puts before token-part1. */
    public static final String PREFIX = "ACME:";

    /** 128 bits in base64url need 22 characters. */
    public static final int MIN_TOKEN_LENGTH = 22;

    /** Far above any real token; a longer one is taken as garbage, not as a challenge. */
    public static final int MAX_TOKEN_LENGTH = 512;

    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+");

    /** A reply to a challenge, such as our own response coming back. */
    private static final Pattern REPLY = Pattern.compile("(?i)re:\\s*ACME:.*", Pattern.DOTALL);

    private ChallengeSubject() {
    }

    /**
     * Returns true when the raw header value may be a challenge Subject, or a reply to one.
     * This is the test a matcher runs on every mail, so it does not validate the token. An
     * RFC 2047-encoded value is decoded first, and one in an unknown charset counts as a
     * possible challenge so that it gets a clear outcome. Replies are included so that a
     * response looping back gets one too.
     */
    public static boolean looksLikeChallenge(String rawSubject) {
        String value = MimeUtility.unfold(rawSubject).strip();
        if (value.startsWith("=?")) {
            try {
                value = MimeUtility.decodeText(value).strip();
            } catch (UnsupportedEncodingException e) {
                return true;
            }
        }
        return value.startsWith(PREFIX) || REPLY.matcher(value).matches();
    }

    /** Returns true when the raw header value is a reply to a challenge, {@code Re: ACME: ...}. */
    public static boolean isReply(String rawSubject) {
        try {
            return REPLY.matcher(MimeUtility.decodeText(MimeUtility.unfold(rawSubject)).strip()).matches();
        } catch (UnsupportedEncodingException e) {
            return false;
        }
    }

    /**
     * Parses token-part1 from the raw (undecoded) Subject header value.
     *
     * @throws InvalidChallengeMailException with the reason the Subject is not a challenge
     */
    public static String parseTokenPart1(String rawSubject) throws InvalidChallengeMailException {
        String subject = decode(MimeUtility.unfold(rawSubject)).strip();
        if (REPLY.matcher(subject).matches()) {
            throw new InvalidChallengeMailException(RejectionReason.RESPONSE_LOOP,
                "the Subject is a reply to a challenge, not a challenge");
        }
        if (!subject.startsWith(PREFIX)) {
            throw new InvalidChallengeMailException(RejectionReason.NOT_A_CHALLENGE_SUBJECT,
                "the Subject does not start with '" + PREFIX + "'");
        }

        String token = subject.substring(PREFIX.length()).strip();
        if (!BASE64URL.matcher(token).matches()) {
            throw new InvalidChallengeMailException(RejectionReason.TOKEN_INVALID_CHARACTER,
                "token-part1 is empty or has a character outside the base64url alphabet");
        }
        if (token.length() < MIN_TOKEN_LENGTH) {
            throw new InvalidChallengeMailException(RejectionReason.TOKEN_TOO_SHORT,
                "token-part1 has " + token.length() + " characters, at least " + MIN_TOKEN_LENGTH
                    + " are required");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidChallengeMailException(RejectionReason.TOKEN_TOO_LONG,
                "token-part1 has " + token.length() + " characters, at most " + MAX_TOKEN_LENGTH
                    + " are accepted");
        }
        return token;
    }

    private static String decode(String subject) throws InvalidChallengeMailException {
        try {
            return MimeUtility.decodeText(subject);
        } catch (UnsupportedEncodingException e) {
            throw new InvalidChallengeMailException(RejectionReason.MALFORMED_SUBJECT,
                "the Subject uses an unknown charset: " + e.getMessage());
        }
    }
}
