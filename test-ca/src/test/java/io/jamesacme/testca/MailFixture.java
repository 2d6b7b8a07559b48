package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Properties;
import java.util.function.UnaryOperator;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/**
 * GreenMail SMTP and IMAP servers on loopback with the CA's mailbox, standing in for James:
 * the CA sends challenges to it and reads responses from it.
 */
final class MailFixture implements AutoCloseable {

    static final String CA_ADDRESS = "acme-ca@ca.test";
    static final String CA_PASSWORD = "secret";

    private final GreenMail greenMail;

    MailFixture() {
        greenMail = new GreenMail(ServerSetup.dynamicPort(ServerSetupTest.SMTP_IMAP));
        greenMail.start();
        greenMail.setUser(CA_ADDRESS, CA_ADDRESS, CA_PASSWORD);
    }

    int smtpPort() {
        return greenMail.getSmtp().getPort();
    }

    /** Starts a CA that uses these servers; {@code customizer} may change the defaults. */
    TestCa startCa(Path stateDirectory, UnaryOperator<TestCaConfig.Builder> customizer)
            throws Exception {
        TestCaConfig.Builder builder = TestCaConfig.builder()
                .httpsPort(0)
                .stateDirectory(stateDirectory)
                .smtp("127.0.0.1", smtpPort())
                .imap("127.0.0.1", greenMail.getImap().getPort(), CA_ADDRESS, CA_PASSWORD)
                .caAddress(CA_ADDRESS)
                .responseWait(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200));
        return TestCa.start(customizer.apply(builder).build());
    }

    /** Returns the messages delivered to {@code address} whose subject starts with ACME. */
    MimeMessage[] challengeMails(String address) throws MessagingException {
        MimeMessage[] messages = greenMail.getReceivedMessagesForDomain(address);
        return Arrays.stream(messages).filter(message -> {
            try {
                return message.getSubject() != null && message.getSubject().startsWith("ACME: ");
            } catch (MessagingException e) {
                throw new IllegalStateException(e);
            }
        }).toArray(MimeMessage[]::new);
    }

    /** Waits up to {@code timeout} for the first challenge mail to {@code address}. */
    MimeMessage awaitChallengeMail(String address, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            MimeMessage[] messages = challengeMails(address);
            if (messages.length > 0) {
                return messages[0];
            }
            Thread.sleep(100);
        }
        throw new AssertionError("No challenge mail to " + address + " within " + timeout);
    }

    /**
     * Returns the bytes GreenMail received as SMTP DATA, after the Return-Path and Received
     * header fields that it adds.
     */
    static byte[] bytes(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toByteArray();
    }

    /** Sends a response mail from {@code from} to the CA through the SMTP server. */
    void sendToCa(String from, String subjectHeader, String body) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", "127.0.0.1");
        properties.setProperty("mail.smtp.port", Integer.toString(smtpPort()));
        MimeMessage message = new MimeMessage(Session.getInstance(properties));
        message.setFrom(new InternetAddress(from));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(CA_ADDRESS));
        message.setHeader("Subject", subjectHeader);
        message.setText(body, "UTF-8");
        message.saveChanges();
        int before = greenMail.getReceivedMessagesForDomain(CA_ADDRESS).length;
        Transport.send(message);
        Instant deadline = Instant.now().plusSeconds(5);
        while (greenMail.getReceivedMessagesForDomain(CA_ADDRESS).length == before) {
            assertThat(Instant.now()).as("delivery to the CA mailbox").isBefore(deadline);
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        greenMail.stop();
    }
}
