package io.jamesacme.testca;

import com.sun.mail.smtp.SMTPTransport;
import java.util.Optional;
import java.util.Properties;
import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

/**
 * Sends challenge mails by SMTP without STARTTLS, with SMTP AUTH (PLAIN or LOGIN) when the
 * configuration has credentials. The mail's bytes go out unchanged, so signatures made over
 * them stay valid.
 */
final class ChallengeMailer {

    private static final String TIMEOUT_MILLIS = "10000";

    private final Session session;
    private final String host;
    private final int port;
    private final Optional<String> authUser;
    private final Optional<String> authPassword;

    ChallengeMailer(TestCaConfig config) {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", config.smtpHost());
        properties.setProperty("mail.smtp.port", Integer.toString(config.smtpPort()));
        properties.setProperty("mail.smtp.connectiontimeout", TIMEOUT_MILLIS);
        properties.setProperty("mail.smtp.timeout", TIMEOUT_MILLIS);
        properties.setProperty("mail.smtp.writetimeout", TIMEOUT_MILLIS);
        // The envelope sender and EHLO use the CA's address and domain instead of a lookup of
        // the local host name.
        properties.setProperty("mail.smtp.from", config.caAddress());
        properties.setProperty("mail.smtp.localhost", config.caDomain());
        if (config.smtpAuthUser().isPresent()) {
            properties.setProperty("mail.smtp.auth", "true");
            properties.setProperty("mail.smtp.auth.mechanisms", "PLAIN LOGIN");
        }
        this.session = Session.getInstance(properties);
        this.host = config.smtpHost();
        this.port = config.smtpPort();
        this.authUser = config.smtpAuthUser();
        this.authPassword = config.smtpAuthPassword();
    }

    /**
     * Sends {@code rawMessage} to the recipients in its To header field.
     *
     * @return the Message-ID of the mail, or {@code (none)} if it has none
     * @throws MessagingException if the mail cannot be parsed or the SMTP server rejects it,
     *     including a server that announces no AUTH while credentials are configured
     */
    String send(byte[] rawMessage) throws MessagingException {
        MimeMessage message = ExactHeadersMimeMessage.parse(session, rawMessage);
        Address[] recipients = message.getAllRecipients();
        if (recipients == null || recipients.length == 0) {
            throw new MessagingException("The challenge mail has no recipient");
        }
        try (SMTPTransport transport = (SMTPTransport) session.getTransport("smtp")) {
            if (authUser.isPresent()) {
                transport.connect(host, port, authUser.get(), authPassword.orElseThrow());
                // JavaMail skips authentication silently when the server offers none.
                if (!transport.supportsExtension("AUTH")) {
                    throw new MessagingException("SMTP server " + host + ":" + port
                            + " does not announce AUTH, so the CA cannot log in as "
                            + authUser.get());
                }
            } else {
                transport.connect();
            }
            // sendMessage, unlike Transport.send, does not call saveChanges().
            transport.sendMessage(message, recipients);
        }
        String messageId = message.getMessageID();
        return messageId == null ? "(none)" : messageId;
    }
}
