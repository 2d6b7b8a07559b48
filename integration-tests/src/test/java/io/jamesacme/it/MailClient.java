package io.jamesacme.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/** Plain SMTP and IMAP access to the James under test, as a mail client would have. */
final class MailClient {

    private static final String HOST = "127.0.0.1";
    private static final String TIMEOUT_MILLIS = "10000";

    private MailClient() {
    }

    /** Sends a text mail through James' port-25 SMTP server, without authentication. */
    static void send(int smtpPort, String from, String to, String subject, String body) throws MessagingException {
        Properties properties = new Properties();
        properties.put("mail.smtp.host", HOST);
        properties.put("mail.smtp.port", String.valueOf(smtpPort));
        properties.put("mail.smtp.connectiontimeout", TIMEOUT_MILLIS);
        properties.put("mail.smtp.timeout", TIMEOUT_MILLIS);
        Session session = Session.getInstance(properties);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(from));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
        message.setSubject(subject);
        message.setText(body);
        Transport.send(message);
    }

    /** Returns the subjects of every message in the user's INBOX, read over IMAP with LOGIN. */
    static List<String> inboxSubjects(int imapPort, String user, String password) throws MessagingException {
        Properties properties = new Properties();
        properties.put("mail.imap.connectiontimeout", TIMEOUT_MILLIS);
        properties.put("mail.imap.timeout", TIMEOUT_MILLIS);
        Store store = Session.getInstance(properties).getStore("imap");
        store.connect(HOST, imapPort, user, password);
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            try {
                List<String> subjects = new ArrayList<>();
                for (Message message : inbox.getMessages()) {
                    subjects.add(message.getSubject());
                }
                return subjects;
            } finally {
                inbox.close(false);
            }
        } finally {
            store.close();
        }
    }
}
