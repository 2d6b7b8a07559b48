package io.jamesacme.smime.rfc8823;

import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeUtility;

/**
 * Reads an RFC 8823 challenge mail into a {@link ChallengeMail}. It is lenient about what
 * real CAs leave out (Message-ID, Date, Auto-Submitted) and strict about what the response
 * depends on: exactly one Subject with a valid token-part1 and exactly one From address.
 */
public final class ChallengeMailParser {
    /**
     * Address fields that RFC 5322 allows once. A second copy could be added on top of a DKIM
     * signature, which covers only the last one, and redirect the response.
     */
    private static final List<String> SINGLE_FIELDS = List.of("To", "Cc", "Reply-To", "Sender");
    private ChallengeMailParser() {
    }

    public static ChallengeMail parse(MimeMessage message) throws InvalidChallengeMailException {
        try {
            String tokenPart1 = ChallengeSubject.parseTokenPart1(singleSubject(message));
            Optional<String> autoSubmitted = firstHeader(message, "Auto-Submitted");
            if (autoSubmitted.filter(ChallengeMailParser::isAutoReply).isPresent()) {
                throw new InvalidChallengeMailException(RejectionReason.RESPONSE_LOOP,
                    "the mail is an automatic reply (Auto-Submitted: auto-replied)");
            }
            for (String field : SINGLE_FIELDS) {
                String[] values = message.getHeader(field);
                if (values != null && values.length > 1) {
                    throw new InvalidChallengeMailException(RejectionReason.DUPLICATE_HEADER,
                        "the mail has " + values.length + " " + field + " fields, RFC 5322 allows one");
                }
            }
            Date sent = message.getSentDate();
            return new ChallengeMail(tokenPart1, singleFrom(message),
                addresses(message, "To"), addresses(message, "Reply-To"),
                singleMessageId(message), autoSubmitted,
                Optional.ofNullable(sent).map(Date::toInstant));
        } catch (MessagingException e) {
            throw new InvalidChallengeMailException(RejectionReason.MALFORMED_HEADER,
                "the header cannot be read: " + e.getMessage());
        }
    }

    private static String singleSubject(MimeMessage message)
            throws MessagingException, InvalidChallengeMailException {
        String[] subjects = message.getHeader("Subject");
        if (subjects == null || subjects.length == 0) {
            throw new InvalidChallengeMailException(RejectionReason.SUBJECT_MISSING,
                "the mail has no Subject");
        }
        if (subjects.length > 1) {
            throw new InvalidChallengeMailException(RejectionReason.MULTIPLE_SUBJECTS,
                "the mail has " + subjects.length + " Subject fields");
        }
        return subjects[0];
    }

    private static boolean isAutoReply(String autoSubmitted) {
        return autoSubmitted.toLowerCase(java.util.Locale.ROOT).startsWith("auto-replied");
    }

    private static Optional<String> singleMessageId(MimeMessage message)
            throws MessagingException, InvalidChallengeMailException {
        String[] values = message.getHeader("Message-ID");
        if (values != null && values.length > 1) {
            throw new InvalidChallengeMailException(RejectionReason.MULTIPLE_MESSAGE_IDS,
                "the mail has " + values.length + " Message-ID fields");
        }
        return firstHeader(message, "Message-ID");
    }

    private static InternetAddress singleFrom(MimeMessage message)
            throws MessagingException, InvalidChallengeMailException {
        String[] fields = message.getHeader("From");
        if (fields == null || fields.length == 0) {
            throw new InvalidChallengeMailException(RejectionReason.FROM_MISSING,
                "the mail has no From");
        }
        if (fields.length > 1) {
            throw new InvalidChallengeMailException(RejectionReason.MULTIPLE_FROM,
                "the mail has " + fields.length + " From fields");
        }
        InternetAddress[] addresses = parseAddresses(fields[0], "From");
        if (addresses.length != 1) {
            throw new InvalidChallengeMailException(RejectionReason.MULTIPLE_FROM,
                "From holds " + addresses.length + " addresses, exactly one is required");
        }
        if (addresses[0].isGroup()) {
            throw new InvalidChallengeMailException(RejectionReason.FROM_INVALID,
                "From is the group '" + addresses[0] + "', a single mailbox is required");
        }
        return addresses[0];
    }

    private static List<InternetAddress> addresses(MimeMessage message, String name)
            throws MessagingException, InvalidChallengeMailException {
        String value = message.getHeader(name, ",");
        if (value == null) {
            return List.of();
        }
        return Arrays.asList(parseAddresses(value, name));
    }

    private static InternetAddress[] parseAddresses(String value, String name)
            throws InvalidChallengeMailException {
        try {
            return InternetAddress.parseHeader(MimeUtility.unfold(value), true);
        } catch (AddressException e) {
            RejectionReason reason = "From".equals(name)
                ? RejectionReason.FROM_INVALID : RejectionReason.MALFORMED_HEADER;
            throw new InvalidChallengeMailException(reason,
                name + " is not a valid address list: " + e.getMessage());
        }
    }

    private static Optional<String> firstHeader(MimeMessage message, String name)
            throws MessagingException {
        String[] values = message.getHeader(name);
        if (values == null || values.length == 0) {
            return Optional.empty();
        }
        return Optional.of(MimeUtility.unfold(values[0]).strip());
    }
}
