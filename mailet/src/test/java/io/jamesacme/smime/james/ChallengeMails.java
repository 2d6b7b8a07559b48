package io.jamesacme.smime.james;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;

/** Builds challenge mails from raw RFC 5322 text. */
final class ChallengeMails {
    static final String CA = "acme-ca@ca.test";
    static final String USER = "alice@example.test";
    static final String TOKEN_PART1 = "LgYemJLy3F1LDkiJrdIGbEzyFJyOyf6vBdyZ1TG3sME";

    private ChallengeMails() {
    }

    static MimeMessage message(String headers) throws MessagingException {
        String raw = headers.replace("\n", "\r\n") + "\r\nThis is an ACME challenge.\r\n";
        return new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
    }

    static MimeMessage challenge(String from, String tokenPart1) throws MessagingException {
        return message("From: " + from + "\n"
            + "To: " + USER + "\n"
            + "Subject: ACME: " + tokenPart1 + "\n"
            + "Message-ID: <challenge-1@ca.test>\n"
            + "Auto-Submitted: auto-generated; type=acme\n");
    }

    static Mail mail(String name, MimeMessage message, String... recipients) throws MessagingException {
        FakeMail.Builder builder = FakeMail.builder().name(name).mimeMessage(message)
            .sender(new MailAddress(CA))
            .state(Mail.DEFAULT);
        for (String recipient : recipients) {
            builder.recipient(new MailAddress(recipient));
        }
        return builder.build();
    }
}
