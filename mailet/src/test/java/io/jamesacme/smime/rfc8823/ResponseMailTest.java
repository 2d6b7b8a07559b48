package io.jamesacme.smime.rfc8823;

import static io.jamesacme.smime.rfc8823.ChallengeSubjectTest.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Message;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeUtility;

import org.junit.jupiter.api.Test;

class ResponseMailTest {
    private static final Session SESSION = Session.getInstance(new Properties());
    /** A base64url SHA-256 digest, the length of a real response. */
    private static final String RESPONSE = "nNXabWXPWg4Lu2TBs8hkqJyFMD8erG2IgWDWtOG5OAw";

    private static InternetAddress address(String value) throws Exception {
        return new InternetAddress(value, true);
    }

    private static ChallengeMail challenge(List<InternetAddress> replyTo, Optional<String> messageId)
            throws Exception {
        return new ChallengeMail(TOKEN, address("ACME CA <acme@ca.test>"), List.of(address("alice@example.com")),
            replyTo, messageId, Optional.of("auto-generated"), Optional.empty());
    }

    private static byte[] raw(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toByteArray();
    }

    private static String rawBody(MimeMessage message) throws Exception {
        String raw = new String(raw(message), StandardCharsets.US_ASCII);
        int separator = raw.indexOf("\r\n\r\n");
        assertThat(separator).isPositive();
        return raw.substring(separator + 4);
    }

    @Test
    void headersAnswerTheChallenge() throws Exception {
        MimeMessage response = ResponseMail.create(
            challenge(List.of(address("replies@ca.test")), Optional.of("<challenge-1@ca.test>")),
            address("alice@example.com"), RESPONSE, SESSION);

        assertThat(response.getFrom()).extracting(a -> ((InternetAddress) a).getAddress())
            .containsExactly("alice@example.com");
        assertThat(response.getRecipients(Message.RecipientType.TO))
            .extracting(a -> ((InternetAddress) a).getAddress()).containsExactly("replies@ca.test");
        assertThat(response.getRecipients(Message.RecipientType.CC)).isNull();
        assertThat(response.getSubject()).isEqualTo("Re: ACME: " + TOKEN);
        assertThat(response.getHeader("In-Reply-To")).containsExactly("<challenge-1@ca.test>");
        assertThat(response.getHeader("References")).containsExactly("<challenge-1@ca.test>");
        assertThat(response.getHeader("Auto-Submitted")).containsExactly("auto-replied");
        assertThat(response.getSentDate()).isNotNull();
        assertThat(response.getMessageID()).isNotNull();
    }

    @Test
    void rawSubjectIsPlainAscii() throws Exception {
        MimeMessage response = ResponseMail.create(challenge(List.of(), Optional.empty()),
            address("alice@example.com"), RESPONSE, SESSION);

        String[] subjects = response.getHeader("Subject");
        assertThat(subjects).hasSize(1);
        assertThat(MimeUtility.unfold(subjects[0])).isEqualTo("Re: ACME: " + TOKEN);
    }

    @Test
    void responseGoesToFromWithoutReplyTo() throws Exception {
        MimeMessage response = ResponseMail.create(challenge(List.of(), Optional.of("<c@ca.test>")),
            address("alice@example.com"), RESPONSE, SESSION);

        assertThat(response.getRecipients(Message.RecipientType.TO))
            .extracting(a -> ((InternetAddress) a).getAddress()).containsExactly("acme@ca.test");
    }

    @Test
    void noThreadingWithoutMessageId() throws Exception {
        MimeMessage response = ResponseMail.create(challenge(List.of(), Optional.empty()),
            address("alice@example.com"), RESPONSE, SESSION);

        assertThat(response.getHeader("In-Reply-To")).isNull();
        assertThat(response.getHeader("References")).isNull();
        assertThat(response.getHeader("Auto-Submitted")).containsExactly("auto-replied");
    }

    @Test
    void bodyIsSingleTextPlainPart() throws Exception {
        MimeMessage response = ResponseMail.create(challenge(List.of(), Optional.empty()),
            address("alice@example.com"), RESPONSE, SESSION);
        MimeMessage reparsed = new MimeMessage(SESSION, new ByteArrayInputStream(raw(response)));

        assertThat(reparsed.isMimeType("text/plain")).isTrue();
        assertThat(reparsed.getContent()).isInstanceOf(String.class);
        assertThat(reparsed.getEncoding()).isEqualTo("7bit");
    }

    @Test
    void rawBodyHasExactLinesWithCrlf() throws Exception {
        MimeMessage response = ResponseMail.create(challenge(List.of(), Optional.empty()),
            address("alice@example.com"), RESPONSE, SESSION);

        assertThat(rawBody(response)).isEqualTo(
            "-----BEGIN ACME RESPONSE-----\r\n" + RESPONSE + "\r\n-----END ACME RESPONSE-----\r\n");
    }

    @Test
    void rawMessageHasNoBareLineFeed() throws Exception {
        MimeMessage response = ResponseMail.create(
            challenge(List.of(address("replies@ca.test")), Optional.of("<challenge-1@ca.test>")),
            address("alice@example.com"), RESPONSE, SESSION);
        byte[] raw = raw(response);

        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\n') {
                assertThat(i).as("LF at offset %d follows CR", i).isPositive();
                assertThat(raw[i - 1]).as("byte before LF at offset %d", i).isEqualTo((byte) '\r');
            }
        }
    }

    @Test
    void longResponseIsWrapped() throws Exception {
        String longResponse = "A".repeat(64) + "B".repeat(64) + "C".repeat(22);
        MimeMessage response = ResponseMail.create(challenge(List.of(), Optional.empty()),
            address("alice@example.com"), longResponse, SESSION);

        assertThat(rawBody(response)).isEqualTo("-----BEGIN ACME RESPONSE-----\r\n"
            + "A".repeat(64) + "\r\n" + "B".repeat(64) + "\r\n" + "C".repeat(22) + "\r\n"
            + "-----END ACME RESPONSE-----\r\n");
    }

    @Test
    void exactLineWidthAddsNoEmptyLine() {
        String response = "x".repeat(128);

        assertThat(ResponseMail.body(response)).isEqualTo("-----BEGIN ACME RESPONSE-----\r\n"
            + "x".repeat(64) + "\r\n" + "x".repeat(64) + "\r\n-----END ACME RESPONSE-----\r\n");
    }
}
