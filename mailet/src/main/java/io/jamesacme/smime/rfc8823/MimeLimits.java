package io.jamesacme.smime.rfc8823;

import java.io.IOException;
import java.util.Enumeration;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.internet.ContentType;
import javax.mail.internet.MimeMessage;

/**
 * Size and structure limits for a challenge mail, checked before any signature is verified.
 * A challenge is a few kilobytes of text (an estimate), and a signed one also contains a
 * certificate chain. Anything far larger or more deeply nested is rejected instead of parsed.
 *
 * @param maxMessageBytes the largest accepted message
 * @param maxHeaderBytes the largest accepted header section
 * @param maxDepth the deepest accepted multipart nesting, where the top level is depth 1
 * @param maxParts the most body parts accepted in the whole tree
 */
public record MimeLimits(long maxMessageBytes, int maxHeaderBytes, int maxDepth, int maxParts) {

    /** Generous for any challenge a CA sends: 256 KiB, 32 KiB of header, depth 4, 16 parts. */
    public static final MimeLimits DEFAULT = new MimeLimits(256 * 1024, 32 * 1024, 4, 16);

    /**
     * Checks the message against the limits.
     *
     * @param messageSize the size James recorded for the mail
     * @throws InvalidChallengeMailException with the first limit that is exceeded
     */
    public void check(MimeMessage message, long messageSize) throws InvalidChallengeMailException {
        if (messageSize > maxMessageBytes) {
            throw new InvalidChallengeMailException(RejectionReason.OVERSIZED,
                "the mail has " + messageSize + " bytes, at most " + maxMessageBytes + " are accepted");
        }
        try {
            long headerBytes = 0;
            for (Enumeration<String> lines = message.getAllHeaderLines(); lines.hasMoreElements(); ) {
                headerBytes += lines.nextElement().length() + 2;
            }
            if (headerBytes > maxHeaderBytes) {
                throw new InvalidChallengeMailException(RejectionReason.HEADER_TOO_LARGE,
                    "the header has " + headerBytes + " bytes, at most " + maxHeaderBytes
                        + " are accepted");
            }
            walk(message, 1, new int[] {0});
        } catch (MessagingException | IOException | RuntimeException e) {
            throw new InvalidChallengeMailException(RejectionReason.MALFORMED_MIME,
                "the MIME structure cannot be read: " + e.getMessage());
        }
    }

    private void walk(Part part, int depth, int[] parts)
            throws MessagingException, IOException, InvalidChallengeMailException {
        if (!part.isMimeType("multipart/*")) {
            return;
        }
        if (depth > maxDepth) {
            throw new InvalidChallengeMailException(RejectionReason.MIME_TOO_DEEP,
                "multiparts are nested deeper than " + maxDepth + " levels");
        }
        // JavaMail guesses a missing boundary from the first "--" line by default
        // (mail.mime.multipart.ignoremissingboundaryparameter), which RFC 2046 does not allow.
        String boundary = new ContentType(part.getContentType()).getParameter("boundary");
        if (boundary == null || boundary.isEmpty()) {
            throw new InvalidChallengeMailException(RejectionReason.MALFORMED_MIME,
                "the " + part.getContentType() + " part has no boundary parameter");
        }
        Object content = part.getContent();
        if (!(content instanceof Multipart multipart)) {
            throw new InvalidChallengeMailException(RejectionReason.MALFORMED_MIME,
                "the " + part.getContentType() + " part has no readable body parts");
        }
        int count = multipart.getCount();
        if (count == 0) {
            throw new InvalidChallengeMailException(RejectionReason.MALFORMED_MIME,
                "the multipart has no body parts");
        }
        for (int i = 0; i < count; i++) {
            if (++parts[0] > maxParts) {
                throw new InvalidChallengeMailException(RejectionReason.MIME_TOO_DEEP,
                    "the mail has more than " + maxParts + " body parts");
            }
            BodyPart child = multipart.getBodyPart(i);
            walk(child, depth + 1, parts);
        }
    }
}
