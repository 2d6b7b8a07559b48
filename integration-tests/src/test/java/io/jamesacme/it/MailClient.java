package io.jamesacme.it;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import com.sun.mail.smtp.SMTPMessage;

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

    /**
     * Sends the exact bytes of a mail through James' port-25 SMTP server. An empty
     * {@code envelopeFrom} sends the null sender {@code <>}, as a bounce has.
     */
    static void sendRaw(int smtpPort, String envelopeFrom, List<String> recipients, byte[] raw)
            throws MessagingException {
        Properties properties = new Properties();
        properties.put("mail.smtp.host", HOST);
        properties.put("mail.smtp.port", String.valueOf(smtpPort));
        properties.put("mail.smtp.connectiontimeout", TIMEOUT_MILLIS);
        properties.put("mail.smtp.timeout", TIMEOUT_MILLIS);
        properties.put("mail.smtp.localhost", "client.test");
        Session session = Session.getInstance(properties);
        SMTPMessage message = new SMTPMessage(session, new ByteArrayInputStream(raw));
        message.setEnvelopeFrom(envelopeFrom.isEmpty() ? "<>" : envelopeFrom);
        InternetAddress[] addresses = new InternetAddress[recipients.size()];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = new InternetAddress(recipients.get(i), false);
        }
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect();
            // sendMessage, unlike Transport.send, leaves the parsed bytes as they are.
            transport.sendMessage(message, addresses);
        }
    }

    /** A mail read from an INBOX: its Subject, the extension's reason header and its bytes. */
    record InboxMail(String subject, List<String> unansweredReasons, byte[] raw) {
    }

    /** Like {@link #inbox}, for polling lambdas: a failure becomes an IllegalStateException. */
    static List<InboxMail> inboxNow(int imapPort, String user, String password) {
        try {
            return inbox(imapPort, user, password);
        } catch (MessagingException e) {
            throw new IllegalStateException("Reading the INBOX of " + user + " failed: " + e.getMessage(), e);
        }
    }

    /** Returns every message in the user's INBOX with the headers the tests look at. */
    static List<InboxMail> inbox(int imapPort, String user, String password) throws MessagingException {
        Properties properties = new Properties();
        properties.put("mail.imap.connectiontimeout", TIMEOUT_MILLIS);
        properties.put("mail.imap.timeout", TIMEOUT_MILLIS);
        Store store = Session.getInstance(properties).getStore("imap");
        store.connect(HOST, imapPort, user, password);
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            try {
                List<InboxMail> mails = new ArrayList<>();
                for (Message message : inbox.getMessages()) {
                    String[] reasons = message.getHeader("X-Acme-Smime-Unanswered");
                    ByteArrayOutputStream raw = new ByteArrayOutputStream();
                    message.writeTo(raw);
                    mails.add(new InboxMail(message.getSubject(),
                            reasons == null ? List.of() : List.of(reasons), raw.toByteArray()));
                }
                return mails;
            } catch (IOException e) {
                throw new MessagingException("Reading a message of " + user + " failed", e);
            } finally {
                inbox.close(false);
            }
        } finally {
            store.close();
        }
    }

    /** Returns the subjects of every message in the user's INBOX, read over IMAP with LOGIN. */
    static List<String> inboxSubjects(int imapPort, String user, String password) throws MessagingException {
        return inbox(imapPort, user, password).stream().map(InboxMail::subject).toList();
    }

    /**
     * Sends {@code copies} copies of the same bytes at the same moment, each over its own SMTP
     * connection, so that James' spooler threads process them in parallel.
     */
    static void sendConcurrently(int smtpPort, String envelopeFrom, List<String> recipients, byte[] raw,
                                 int copies) throws Exception {
        List<RawMail> mails = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            mails.add(new RawMail(envelopeFrom, recipients, raw));
        }
        sendAllAtOnce(smtpPort, mails);
    }

    /** Sends every mail at the same moment, each over its own SMTP connection. */
    static void sendAllAtOnce(int smtpPort, List<RawMail> mails) throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(mails.size());
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> sent = new ArrayList<>();
        try {
            for (RawMail mail : mails) {
                sent.add(senders.submit(() -> {
                    start.await();
                    sendRaw(smtpPort, mail.envelopeFrom(), mail.recipients(), mail.raw());
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : sent) {
                future.get();
            }
        } finally {
            senders.shutdownNow();
        }
    }

    /** A mail as sent over SMTP: envelope sender, envelope recipients and the message bytes. */
    record RawMail(String envelopeFrom, List<String> recipients, byte[] raw) {
    }
}
