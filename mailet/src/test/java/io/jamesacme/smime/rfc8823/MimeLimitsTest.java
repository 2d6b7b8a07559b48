package io.jamesacme.smime.rfc8823;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;

class MimeLimitsTest {
    private static final Session SESSION = Session.getInstance(new Properties());
    private static final MimeLimits LIMITS = MimeLimits.DEFAULT;
    private static final String HEADER = String.join("\r\n",
        "From: acme-ca@ca.test",
        "To: alice@example.test",
        "Subject: ACME: aGVsbG8td29ybGQtdG9rZW4tcGFydC0x",
        "MIME-Version: 1.0");

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Parses a raw mail into a MimeMessage, as James does with a received mail. */
    private static MimeMessage parse(byte[] raw) throws Exception {
        return new MimeMessage(SESSION, new ByteArrayInputStream(raw));
    }

    private static byte[] textMail() {
        return ascii(HEADER + "\r\nContent-Type: text/plain\r\n\r\nThis is an ACME challenge.\r\n");
    }

    /** Returns a multipart/mixed entity, header included, that nests {@code depth} multiparts. */
    private static String nested(int depth, int level) {
        if (level > depth) {
            return "Content-Type: text/plain\r\n\r\nleaf\r\n";
        }
        String boundary = "level-" + level;
        return "Content-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n"
            + "--" + boundary + "\r\n" + nested(depth, level + 1) + "\r\n--" + boundary + "--\r\n";
    }

    private static byte[] nestedMail(int depth) {
        return ascii(HEADER + "\r\n" + nested(depth, 1));
    }

    /** Returns a multipart/mixed mail of {@code count} text parts. */
    private static byte[] flatMail(int count) {
        List<String> lines = new ArrayList<>(List.of(HEADER, "Content-Type: multipart/mixed; boundary=b", ""));
        for (int i = 0; i < count; i++) {
            lines.addAll(List.of("--b", "Content-Type: text/plain", "", "part " + i));
        }
        lines.addAll(List.of("--b--", ""));
        return ascii(String.join("\r\n", lines));
    }

    private static void assertRejected(byte[] raw, RejectionReason reason) throws Exception {
        MimeMessage message = parse(raw);

        assertThatThrownBy(() -> LIMITS.check(message, raw.length))
            .isInstanceOf(InvalidChallengeMailException.class)
            .satisfies(e -> assertThat(((InvalidChallengeMailException) e).reason()).isEqualTo(reason));
    }

    private static void assertAccepted(byte[] raw) throws Exception {
        MimeMessage message = parse(raw);

        assertThatCode(() -> LIMITS.check(message, raw.length)).doesNotThrowAnyException();
    }

    @Test
    void defaultLimitsAreThoseDocumented() {
        assertThat(LIMITS.maxMessageBytes()).isEqualTo(256 * 1024);
        assertThat(LIMITS.maxHeaderBytes()).isEqualTo(32 * 1024);
        assertThat(LIMITS.maxDepth()).isEqualTo(4);
        assertThat(LIMITS.maxParts()).isEqualTo(16);
    }

    @Test
    void textMailPasses() throws Exception {
        assertAccepted(textMail());
    }

    @Test
    void mailWithoutContentTypePasses() throws Exception {
        assertAccepted(ascii(HEADER + "\r\n\r\nplain body\r\n"));
    }

    @Test
    void sizeAtLimitPasses() throws Exception {
        MimeMessage message = parse(textMail());

        assertThatCode(() -> LIMITS.check(message, LIMITS.maxMessageBytes())).doesNotThrowAnyException();
    }

    @Test
    void sizeOverLimitIsOversized() throws Exception {
        MimeMessage message = parse(textMail());

        assertThatThrownBy(() -> LIMITS.check(message, LIMITS.maxMessageBytes() + 1))
            .isInstanceOf(InvalidChallengeMailException.class)
            .satisfies(e -> assertThat(((InvalidChallengeMailException) e).reason())
                .isEqualTo(RejectionReason.OVERSIZED))
            .hasMessageContaining(String.valueOf(LIMITS.maxMessageBytes() + 1));
    }

    @Test
    void largeBodyWithRecordedSizeIsOversized() throws Exception {
        byte[] raw = ascii(HEADER + "\r\nContent-Type: text/plain\r\n\r\n" + "x".repeat(300 * 1024) + "\r\n");

        assertRejected(raw, RejectionReason.OVERSIZED);
    }

    @Test
    void hugeHeaderIsHeaderTooLarge() throws Exception {
        StringBuilder header = new StringBuilder(HEADER);
        for (int i = 0; i < 400; i++) {
            header.append("\r\nX-Padding-").append(i).append(": ").append("y".repeat(90));
        }
        byte[] raw = ascii(header + "\r\nContent-Type: text/plain\r\n\r\nbody\r\n");

        assertRejected(raw, RejectionReason.HEADER_TOO_LARGE);
    }

    @Test
    void headerJustUnderLimitPasses() throws Exception {
        StringBuilder header = new StringBuilder(HEADER);
        for (int i = 0; i < 250; i++) {
            header.append("\r\nX-Padding-").append(i).append(": ").append("y".repeat(90));
        }
        byte[] raw = ascii(header + "\r\nContent-Type: text/plain\r\n\r\nbody\r\n");

        assertAccepted(raw);
    }

    @Test
    void nestingOfFourPasses() throws Exception {
        assertAccepted(nestedMail(4));
    }

    @Test
    void nestingOfFiveIsTooDeep() throws Exception {
        assertRejected(nestedMail(5), RejectionReason.MIME_TOO_DEEP);
    }

    @Test
    void deepNestingIsTooDeep() throws Exception {
        assertRejected(nestedMail(40), RejectionReason.MIME_TOO_DEEP);
    }

    @Test
    void sixteenPartsPass() throws Exception {
        assertAccepted(flatMail(16));
    }

    @Test
    void seventeenPartsAreTooMany() throws Exception {
        assertRejected(flatMail(17), RejectionReason.MIME_TOO_DEEP);
    }

    @Test
    void partsOfNestedMultipartsCountTowardsLimit() throws Exception {
        List<String> lines = new ArrayList<>(List.of(HEADER, "Content-Type: multipart/mixed; boundary=outer", ""));
        for (int i = 0; i < 3; i++) {
            lines.addAll(List.of("--outer", "Content-Type: multipart/mixed; boundary=inner" + i, ""));
            for (int j = 0; j < 5; j++) {
                lines.addAll(List.of("--inner" + i, "Content-Type: text/plain", "", "part " + j));
            }
            lines.add("--inner" + i + "--");
        }
        lines.addAll(List.of("--outer--", ""));

        // 3 inner multiparts and 15 text parts make 18 body parts.
        assertRejected(ascii(String.join("\r\n", lines)), RejectionReason.MIME_TOO_DEEP);
    }

    @Test
    void multipartWithoutBoundaryIsMalformed() throws Exception {
        byte[] raw = ascii(HEADER + "\r\nContent-Type: multipart/mixed\r\n\r\n"
            + "no boundary parameter, no delimiter lines\r\n");

        assertRejected(raw, RejectionReason.MALFORMED_MIME);
    }

    @Test
    void multipartWithoutBoundaryParameterButDelimitersIsMalformed() throws Exception {
        byte[] raw = ascii(HEADER + "\r\nContent-Type: multipart/mixed\r\n\r\n"
            + "--b\r\nContent-Type: text/plain\r\n\r\npart\r\n--b--\r\n");

        assertRejected(raw, RejectionReason.MALFORMED_MIME);
    }

    @Test
    void multipartWithoutStartBoundaryIsMalformed() throws Exception {
        byte[] raw = ascii(HEADER + "\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + "text that never reaches a delimiter line\r\n");

        assertRejected(raw, RejectionReason.MALFORMED_MIME);
    }

    @Test
    void multipartWithoutPartsIsMalformed() throws Exception {
        byte[] raw = ascii(HEADER + "\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n");

        assertRejected(raw, RejectionReason.MALFORMED_MIME);
    }

    @Test
    void rejectionMessageStartsWithCode() throws Exception {
        byte[] raw = nestedMail(5);
        MimeMessage message = parse(raw);

        assertThatThrownBy(() -> LIMITS.check(message, raw.length))
            .hasMessageStartingWith(RejectionReason.MIME_TOO_DEEP.code() + ":");
    }

    @Test
    void customLimitsApply() throws Exception {
        MimeLimits strict = new MimeLimits(1024, 512, 1, 2);
        MimeMessage twoLevels = parse(nestedMail(2));
        MimeMessage threeParts = parse(flatMail(3));

        assertThatThrownBy(() -> strict.check(twoLevels, 100))
            .satisfies(e -> assertThat(((InvalidChallengeMailException) e).reason())
                .isEqualTo(RejectionReason.MIME_TOO_DEEP));
        assertThatThrownBy(() -> strict.check(threeParts, 100))
            .satisfies(e -> assertThat(((InvalidChallengeMailException) e).reason())
                .isEqualTo(RejectionReason.MIME_TOO_DEEP));
    }
}
