package io.jamesacme.testca;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

/**
 * MimeMessage whose {@code saveChanges()} adds no Message-ID and no Date, which JavaMail 1.6
 * sets on every save. Challenge mails need the exact header fields the CA chose, and the bare
 * mode has neither of the two. Signed mails must not change after signing.
 */
final class ExactHeadersMimeMessage extends MimeMessage {

    ExactHeadersMimeMessage(Session session) {
        super(session);
    }

    private ExactHeadersMimeMessage(Session session, byte[] raw) throws MessagingException {
        super(session, new ByteArrayInputStream(raw));
    }

    /**
     * Parses {@code raw}. Unless the content is replaced, writing the message returns the same
     * bytes, and {@code Transport.sendMessage} sends them unchanged.
     */
    static ExactHeadersMimeMessage parse(Session session, byte[] raw) throws MessagingException {
        return new ExactHeadersMimeMessage(session, raw);
    }

    /** Writes the message as RFC 5322 bytes, with CRLF line ends. */
    static byte[] toBytes(MimeMessage message) throws MessagingException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            message.writeTo(bytes);
        } catch (IOException e) {
            throw new MessagingException("Writing the message to memory failed", e);
        }
        return bytes.toByteArray();
    }

    @Override
    protected void updateMessageID() {
        // Keeps the Message-ID header as it is, or absent.
    }

    @Override
    protected synchronized void updateHeaders() throws MessagingException {
        boolean hadDate = getHeader("Date") != null;
        super.updateHeaders();
        if (!hadDate) {
            removeHeader("Date");
        }
    }
}
