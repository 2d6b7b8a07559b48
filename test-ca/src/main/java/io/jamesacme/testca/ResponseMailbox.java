package io.jamesacme.testca;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.mail.Address;
import javax.mail.FetchProfile;
import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.internet.InternetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's own IMAP inbox, where challenge responses arrive. It is opened read-only, so no
 * message is deleted or flagged.
 */
final class ResponseMailbox {

    /** Outcome of one inbox scan for a challenge. */
    enum ScanResult {
        /** A response from the identifier with the expected digest is in the inbox. */
        MATCH,
        /** Responses from the identifier are there, but none has the expected digest. */
        MISMATCH,
        /** No response from the identifier is there yet. */
        NONE
    }

    static final String BEGIN_LINE = "-----BEGIN ACME RESPONSE-----";
    static final String END_LINE = "-----END ACME RESPONSE-----";

    private static final Logger LOG = LoggerFactory.getLogger(ResponseMailbox.class);
    private static final Pattern RESPONSE_SUBJECT =
            Pattern.compile("\\s*re\\s*:\\s*acme\\s*:\\s*(\\S+)\\s*", Pattern.CASE_INSENSITIVE);
    private static final String TIMEOUT_MILLIS = "10000";

    private final Session session;
    private final String host;
    private final int port;
    private final String user;
    private final String password;

    ResponseMailbox(String host, int port, String user, String password) {
        Properties properties = new Properties();
        properties.setProperty("mail.imap.connectiontimeout", TIMEOUT_MILLIS);
        properties.setProperty("mail.imap.timeout", TIMEOUT_MILLIS);
        properties.setProperty("mail.imap.peek", "true");
        this.session = Session.getInstance(properties);
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    /** Returns how many messages in INBOX have the subject {@code Re: ACME: <tokenPart1>}. */
    int countResponses(String tokenPart1) throws MessagingException {
        return withInbox(messages -> responsesTo(messages, tokenPart1).size());
    }

    /**
     * Fetches the full RFC 5322 bytes, as the IMAP server sends them, of each message in INBOX
     * with the subject {@code Re: ACME: <tokenPart1>}.
     */
    List<byte[]> responseMessages(String tokenPart1) throws MessagingException {
        return withInbox(messages -> {
            List<byte[]> raw = new ArrayList<>();
            for (Message message : responsesTo(messages, tokenPart1)) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try {
                    message.writeTo(bytes);
                } catch (IOException e) {
                    throw new MessagingException("Fetching a response message failed", e);
                }
                raw.add(bytes.toByteArray());
            }
            return raw;
        });
    }

    /**
     * Looks for a response to the challenge with {@code tokenPart1} sent from {@code address}
     * whose ACME RESPONSE block equals {@code expectedDigest}.
     */
    ScanResult scan(String tokenPart1, String address, String expectedDigest)
            throws MessagingException {
        return withInbox(messages -> {
            ScanResult result = ScanResult.NONE;
            for (Message message : responsesTo(messages, tokenPart1)) {
                if (!isSentBy(message, address)) {
                    // Debug level, because every poll finds the same message again.
                    LOG.debug("Ignoring a response for {} from another sender: {}", address,
                            senders(message));
                    continue;
                }
                String digest = responseDigest(message);
                if (expectedDigest.equals(digest)) {
                    return ScanResult.MATCH;
                }
                LOG.debug("Response from {} has {}", address,
                        digest == null ? "no ACME RESPONSE block" : "a digest that does not match");
                result = ScanResult.MISMATCH;
            }
            return result;
        });
    }

    private interface InboxAction<T> {
        T apply(Message[] messages) throws MessagingException;
    }

    // NOTE: each poll fetches the envelopes of the whole INBOX, which is fine for test mailboxes
    // but gets slow with many thousands of messages.
    private <T> T withInbox(InboxAction<T> action) throws MessagingException {
        try (Store store = session.getStore("imap")) {
            store.connect(host, port, user, password);
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            try {
                Message[] messages = inbox.getMessages();
                FetchProfile profile = new FetchProfile();
                profile.add(FetchProfile.Item.ENVELOPE);
                inbox.fetch(messages, profile);
                return action.apply(messages);
            } finally {
                inbox.close(false);
            }
        }
    }

    private static List<Message> responsesTo(Message[] messages, String tokenPart1)
            throws MessagingException {
        List<Message> responses = new ArrayList<>();
        for (Message message : messages) {
            String subject = message.getSubject();
            if (subject == null) {
                continue;
            }
            // getSubject() has already unfolded the header and decoded RFC 2047 words.
            Matcher matcher = RESPONSE_SUBJECT.matcher(subject);
            if (matcher.matches() && matcher.group(1).equals(tokenPart1)) {
                responses.add(message);
            }
        }
        return responses;
    }

    private static boolean isSentBy(Message message, String address) throws MessagingException {
        Address[] from = message.getFrom();
        return from != null && from.length == 1 && from[0] instanceof InternetAddress sender
                && address.equalsIgnoreCase(sender.getAddress());
    }

    private static String senders(Message message) throws MessagingException {
        Address[] from = message.getFrom();
        return from == null ? "(no From)" : InternetAddress.toString(from);
    }

    /** Returns the whitespace-free text between the RESPONSE lines, or null if absent. */
    static String responseDigest(Part part) throws MessagingException {
        try {
            if (part.isMimeType("text/plain")) {
                return digestFromText(part.getContent().toString());
            }
            if (part.isMimeType("multipart/*") && part.getContent() instanceof Multipart parts) {
                for (int i = 0; i < parts.getCount(); i++) {
                    String digest = responseDigest(parts.getBodyPart(i));
                    if (digest != null) {
                        return digest;
                    }
                }
            }
            return null;
        } catch (IOException e) {
            throw new MessagingException("Reading the response body failed", e);
        }
    }

    static String digestFromText(String text) {
        StringBuilder digest = null;
        for (String line : text.split("\\r?\\n")) {
            String trimmed = line.strip();
            if (digest == null) {
                if (trimmed.equals(BEGIN_LINE)) {
                    digest = new StringBuilder();
                }
            } else if (trimmed.equals(END_LINE)) {
                return digest.toString();
            } else {
                digest.append(trimmed.replaceAll("\\s+", ""));
            }
        }
        return null;
    }
}
