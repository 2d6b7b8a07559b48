package io.jamesacme.smime.rfc8823;

import static io.jamesacme.smime.rfc8823.ChallengeSubjectTest.TOKEN;
import static io.jamesacme.smime.rfc8823.ChallengeSubjectTest.bEncoded;
import static io.jamesacme.smime.rfc8823.ChallengeSubjectTest.qEncoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChallengeMailParserTest {
    private static final Session SESSION = Session.getInstance(new Properties());
    private static final String BODY = "\r\nThis is an ACME challenge.\r\n";

    /** Parses a raw message made of the given header lines, each without its CRLF. */
    static MimeMessage message(String... headerLines) throws Exception {
        String raw = String.join("\r\n", headerLines) + "\r\n" + BODY;
        return new MimeMessage(SESSION, new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertRejected(MimeMessage message, RejectionReason reason) {
        assertThatThrownBy(() -> ChallengeMailParser.parse(message))
            .isInstanceOf(InvalidChallengeMailException.class)
            .satisfies(e -> assertThat(((InvalidChallengeMailException) e).reason()).isEqualTo(reason));
    }

    @Test
    void allFieldsAreRead() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message(
            "From: ACME CA <acme@ca.test>",
            "To: Alice <alice@example.com>, bob@example.com",
            "Reply-To: replies@ca.test",
            "Subject: ACME: " + TOKEN,
            "Message-ID: <challenge-1@ca.test>",
            "Date: Tue, 02 Jan 2024 10:00:00 +0000",
            "Auto-Submitted: auto-generated; type=acme"));

        assertThat(mail.tokenPart1()).isEqualTo(TOKEN);
        assertThat(mail.from().getAddress()).isEqualTo("acme@ca.test");
        assertThat(mail.from().getPersonal()).isEqualTo("ACME CA");
        assertThat(mail.to()).extracting(InternetAddress::getAddress)
            .containsExactly("alice@example.com", "bob@example.com");
        assertThat(mail.replyTo()).extracting(InternetAddress::getAddress).containsExactly("replies@ca.test");
        assertThat(mail.messageId()).contains("<challenge-1@ca.test>");
        assertThat(mail.autoSubmitted()).contains("auto-generated; type=acme");
    }

    @Test
    void bareChallengeIsAccepted() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message(
            "From: acme@ca.test",
            "To: alice@example.com",
            "Subject: ACME: " + TOKEN));

        assertThat(mail.tokenPart1()).isEqualTo(TOKEN);
        assertThat(mail.messageId()).isEmpty();
        assertThat(mail.autoSubmitted()).isEmpty();
        assertThat(mail.replyTo()).isEmpty();
    }

    @Test
    void missingToGivesEmptyList() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message("From: acme@ca.test", "Subject: ACME: " + TOKEN));

        assertThat(mail.to()).isEmpty();
    }

    @Test
    void foldedMessageIdIsUnfolded() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message(
            "From: acme@ca.test",
            "Subject: ACME: " + TOKEN,
            "Message-ID:\r\n <challenge-2@ca.test>  "));

        assertThat(mail.messageId()).contains("<challenge-2@ca.test>");
    }

    @Test
    void foldedFromIsRead() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message(
            "From: \"ACME Certificate\r\n Authority\" <acme@ca.test>",
            "Subject: ACME: " + TOKEN));

        assertThat(mail.from().getAddress()).isEqualTo("acme@ca.test");
    }

    @Test
    void responseGoesToReplyToWhenPresent() throws Exception {
        ChallengeMail withReplyTo = ChallengeMailParser.parse(message(
            "From: acme@ca.test", "Reply-To: first@ca.test, second@ca.test", "Subject: ACME: " + TOKEN));
        ChallengeMail withoutReplyTo = ChallengeMailParser.parse(message(
            "From: acme@ca.test", "Subject: ACME: " + TOKEN));

        assertThat(withReplyTo.responseRecipient().getAddress()).isEqualTo("first@ca.test");
        assertThat(withoutReplyTo.responseRecipient().getAddress()).isEqualTo("acme@ca.test");
    }

    @Test
    void isFromIgnoresCaseAndDisplayName() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message(
            "From: ACME <ACME@CA.Test>", "Subject: ACME: " + TOKEN));

        assertThat(mail.isFrom(new InternetAddress("acme@ca.test"))).isTrue();
        assertThat(mail.isFrom(new InternetAddress("other@ca.test"))).isFalse();
    }

    @Test
    void toStringOmitsToken() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message("From: acme@ca.test", "Subject: ACME: " + TOKEN));

        assertThat(mail.toString()).doesNotContain(TOKEN).contains("acme@ca.test");
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "b", "q", "folded", "spaces"})
    void subjectVariantsAreParsed(String variant) throws Exception {
        String subject = switch (variant) {
            case "plain" -> "ACME: " + TOKEN;
            case "b" -> bEncoded("ACME: " + TOKEN);
            case "q" -> qEncoded("ACME: " + TOKEN);
            case "folded" -> "ACME:\r\n   " + TOKEN;
            case "spaces" -> "   ACME:     " + TOKEN + "    ";
            default -> throw new IllegalArgumentException(variant);
        };

        ChallengeMail mail = ChallengeMailParser.parse(message("From: acme@ca.test", "Subject: " + subject));

        assertThat(mail.tokenPart1()).isEqualTo(TOKEN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"+", "/", "=", " "})
    void invalidTokenCharacterIsRejected(String character) throws Exception {
        String token = TOKEN.substring(0, 10) + character + TOKEN.substring(10);

        assertRejected(message("From: acme@ca.test", "Subject: ACME: " + token),
            RejectionReason.TOKEN_INVALID_CHARACTER);
    }

    @Test
    void nonAsciiTokenCharacterIsRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: " + bEncoded("ACME: " + TOKEN + "ß")),
            RejectionReason.TOKEN_INVALID_CHARACTER);
    }

    @Test
    void shortTokenIsRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: ACME: " + TOKEN.substring(0, 21)),
            RejectionReason.TOKEN_TOO_SHORT);
    }

    @Test
    void emptyTokenIsRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: ACME: "),
            RejectionReason.TOKEN_INVALID_CHARACTER);
    }

    @Test
    void subjectWithoutPrefixIsRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: " + TOKEN),
            RejectionReason.NOT_A_CHALLENGE_SUBJECT);
    }

    @Test
    void replySubjectIsAResponseLoop() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: Re: ACME: " + TOKEN),
            RejectionReason.RESPONSE_LOOP);
    }

    @Test
    void autoReplyIsAResponseLoop() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: ACME: " + TOKEN,
            "Auto-Submitted: auto-replied"), RejectionReason.RESPONSE_LOOP);
    }

    @Test
    void secondReplyToIsADuplicateHeader() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: ACME: " + TOKEN,
            "Reply-To: mallory@evil.test", "Reply-To: acme@ca.test"), RejectionReason.DUPLICATE_HEADER);
    }

    @Test
    void secondToIsADuplicateHeader() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: ACME: " + TOKEN,
            "To: alice@example.com", "To: bob@example.com"), RejectionReason.DUPLICATE_HEADER);
    }

    @Test
    void dateIsRead() throws Exception {
        ChallengeMail mail = ChallengeMailParser.parse(message("From: acme@ca.test",
            "Subject: ACME: " + TOKEN, "Date: Fri, 04 Dec 2026 12:00:00 +0000"));

        assertThat(mail.date()).contains(java.time.Instant.parse("2026-12-04T12:00:00Z"));
    }

    @Test
    void twoMessageIdsAreRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: ACME: " + TOKEN,
            "Message-ID: <a@ca.test>", "Message-ID: <b@ca.test>"), RejectionReason.MULTIPLE_MESSAGE_IDS);
    }

    @Test
    void missingSubjectIsRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "To: alice@example.com"), RejectionReason.SUBJECT_MISSING);
    }

    @Test
    void twoSubjectsAreRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "Subject: ACME: " + TOKEN, "Subject: ACME: " + TOKEN),
            RejectionReason.MULTIPLE_SUBJECTS);
    }

    @Test
    void twoFromFieldsAreRejected() throws Exception {
        assertRejected(message("From: acme@ca.test", "From: other@ca.test", "Subject: ACME: " + TOKEN),
            RejectionReason.MULTIPLE_FROM);
    }

    @Test
    void fromWithTwoAddressesIsRejected() throws Exception {
        assertRejected(message("From: acme@ca.test, other@ca.test", "Subject: ACME: " + TOKEN),
            RejectionReason.MULTIPLE_FROM);
    }

    @Test
    void missingFromIsRejected() throws Exception {
        assertRejected(message("To: alice@example.com", "Subject: ACME: " + TOKEN), RejectionReason.FROM_MISSING);
    }

    @Test
    void invalidFromIsRejected() throws Exception {
        assertRejected(message("From: acme@ca.test <", "Subject: ACME: " + TOKEN), RejectionReason.FROM_INVALID);
    }

    @Test
    void fromGroupIsRejected() throws Exception {
        assertRejected(message("From: undisclosed:;", "Subject: ACME: " + TOKEN), RejectionReason.FROM_INVALID);
        assertRejected(message("From: ca: acme@ca.test;", "Subject: ACME: " + TOKEN), RejectionReason.FROM_INVALID);
    }
}
