package io.jamesacme.testca;

import java.util.Date;
import java.util.Properties;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/** Sends RFC 8823 challenge mails by plain SMTP, without authentication or STARTTLS. */
final class ChallengeMailer {

    static final String SUBJECT_PREFIX = "ACME: ";
    static final String AUTO_SUBMITTED = "auto-generated; type=acme";
    private static final String TIMEOUT_MILLIS = "10000";

    private final Session session;
    private final String caAddress;

    ChallengeMailer(String smtpHost, int smtpPort, String caAddress) {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", smtpHost);
        properties.setProperty("mail.smtp.port", Integer.toString(smtpPort));
        properties.setProperty("mail.smtp.connectiontimeout", TIMEOUT_MILLIS);
        properties.setProperty("mail.smtp.timeout", TIMEOUT_MILLIS);
        properties.setProperty("mail.smtp.writetimeout", TIMEOUT_MILLIS);
        // Message-ID and EHLO use the CA's domain instead of a lookup of the local host name.
        properties.setProperty("mail.from", caAddress);
        properties.setProperty("mail.smtp.localhost", domainOf(caAddress));
        this.session = Session.getInstance(properties);
        this.caAddress = caAddress;
    }

    /**
     * Sends the challenge mail of {@code challenge} to its identifier.
     *
     * @return the Message-ID of the sent mail
     */
    String send(EmailReplyChallenge challenge) throws MessagingException {
        String address = challenge.authorization().address();
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(caAddress));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(address));
        message.setSubject(SUBJECT_PREFIX + challenge.tokenPart1(), "US-ASCII");
        message.setSentDate(new Date());
        message.setHeader("Auto-Submitted", AUTO_SUBMITTED);
        message.setText("This message is an ACME challenge (RFC 8823) from the "
                + "james-acme-smime test CA for " + address + ".\r\n\r\n"
                + "The ACME client that requested an S/MIME certificate for this address "
                + "answers it automatically. If nobody requested a certificate, ignore this "
                + "message.\r\n", "UTF-8");
        message.saveChanges();
        Transport.send(message);
        return message.getMessageID();
    }

    private static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return at >= 0 && at < address.length() - 1 ? address.substring(at + 1) : "localhost";
    }
}
