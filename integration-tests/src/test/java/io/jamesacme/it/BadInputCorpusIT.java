package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import javax.mail.internet.MailDateFormat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.jamesacme.testca.ChallengeSigning;
import io.jamesacme.testca.SmimeSigner;
import io.jamesacme.testca.TestCa;

/**
 * Bad challenge mails through the real James pipeline, in strict mode ({@code dkim,smime}).
 * Each case sends one mail over SMTP and asserts that no response reached the CA, that the
 * mail arrived in the user's INBOX with the expected {@code X-Acme-Smime-Unanswered} reason,
 * and that James delivered the next, ordinary mail. At the end the genuine challenge of the
 * corpus user is still answered, once. The result table is printed after the run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputCorpusIT {

    private static final String DOMAIN = "example.test";
    private static final String PASSWORD = "corpus-password";
    private static final String CORPUS = "corpus@" + DOMAIN;
    private static final String BOB = "bob@" + DOMAIN;
    private static final String IDLE = "idle@" + DOMAIN;
    private static final String EXPIRED = "expired@" + DOMAIN;
    private static final String ANSWERED = "answered@" + DOMAIN;
    private static final String TWICE = "twice@" + DOMAIN;
    private static final List<String> ORDERING_USERS = List.of(CORPUS, BOB, EXPIRED, ANSWERED, TWICE);
    private static final String CA = AcmeLab.CA_ADDRESS;
    private static final String OTHER_SIGNING_DOMAIN = "other.test";
    private static final String TEMPFAIL_DOMAIN = "temp.test";
    /** The fields RFC 8823 section 3.1 requires the DKIM signature to cover. */
    private static final String REQUIRED_FIELDS = "from:sender:reply-to:to:cc:subject:date:in-reply-to:"
            + "references:message-id:content-type:content-transfer-encoding";
    private static final Duration MAIL_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);

    private static AcmeLab lab;
    private static byte[] answeredChallenge;
    private static final Map<String, Integer> expectedResponses = new LinkedHashMap<>();
    private static final List<String> table = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startLab() throws Exception {
        lab = AcmeLab.builder(LabDirectories.fresh("bad-input-corpus"))
                .challengeMailHeld(true)
                .caDkimKeyAlsoFor(OTHER_SIGNING_DOMAIN)
                .extraDkimKeyRecord(TestCa.DKIM_SELECTOR + "._domainkey." + TEMPFAIL_DOMAIN, "!tempfail")
                // The expiring order is requested by hand, so that provisioning does not
                // replace it with a new one once it failed.
                .acmeSetting("provisioning.exclude", "@" + AcmeLab.CA_DOMAIN + ", " + IDLE + ", " + EXPIRED)
                .acmeSetting("provisioning.concurrency", "8")
                .acmeSetting("challenge.timeout", "30m")
                .start();
        lab.webAdmin().createDomain(DOMAIN);
        for (String user : List.of(CORPUS, BOB, IDLE, EXPIRED, ANSWERED, TWICE)) {
            lab.webAdmin().createUser(user, PASSWORD);
            expectedResponses.put(user, 0);
        }
        lab.webAdmin().requestCertificate(EXPIRED);
        for (String user : ORDERING_USERS) {
            Polling.await("the order of " + user + " to wait for its challenge", Duration.ofSeconds(90), POLL,
                    () -> lab.webAdmin().certificateStatus(user).filter(status -> status.state().equals("pending")),
                    () -> lab.james().describeLog());
        }

        lab.ca().expireChallenge(EXPIRED);
        Polling.await("the order of " + EXPIRED + " to fail", Duration.ofSeconds(60), POLL,
                () -> lab.webAdmin().certificateStatus(EXPIRED).filter(CertificateStatus::isFailed),
                () -> lab.james().describeLog());

        answeredChallenge = lab.ca().challengeMail(ANSWERED, ChallengeSigning.DKIM);
        MailClient.sendRaw(lab.james().smtpPort(), CA, List.of(ANSWERED), answeredChallenge);
        lab.awaitValidCertificate(ANSWERED, Duration.ofSeconds(90));
        expectedResponses.put(ANSWERED, 1);
    }

    @AfterAll
    static void stopLab() {
        System.out.println();
        System.out.println("Bad-input corpus: " + cases().count() + " cases");
        System.out.println(String.format("%-36s | %-26s | %s", "case", "outcome", "where the mail ended"));
        table.forEach(System.out::println);
        if (lab != null) {
            lab.close();
        }
    }

    /** One bad mail: who receives it, the reason it must get and how it is built. */
    record Case(String name, String user, String reason, MailFactory mail) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The envelope and bytes of a case's mail. */
    record Delivery(String envelopeFrom, List<String> recipients, byte[] raw) {
    }

    @FunctionalInterface
    interface MailFactory {
        Delivery build(Ctx ctx) throws Exception;
    }

    /** What the mails are built from: the CA and the corpus user's token-part1. */
    record Ctx(TestCa ca, String token) {
        byte[] genuine(String user, ChallengeSigning signing) {
            return ca.challengeMail(user, signing);
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                // Subject
                bad("subject-empty-token", "token-invalid-character", ctx -> plain(headers(CORPUS, "ACME:"))),
                bad("subject-unknown-charset", "malformed-subject", ctx -> plain(headers(CORPUS,
                        "=?x-unknown?B?" + b64("ACME: " + ctx.token()) + "?="))),
                bad("subject-twice", "multiple-subjects", ctx -> plain(add(headers(CORPUS, "ACME: " + ctx.token()),
                        "Subject: ACME: " + ctx.token()))),
                bad("subject-crlf-injection", "token-invalid-character", ctx -> plain(headers(CORPUS,
                        "=?UTF-8?Q?ACME:_" + ctx.token() + "=0D=0ABcc:_mallory@evil.test?="))),
                bad("subject-oversized", "token-too-long", ctx -> plain(headers(CORPUS, "ACME: " + "A".repeat(600)))),
                bad("subject-token-not-base64url", "token-invalid-character", ctx -> plain(headers(CORPUS,
                        "ACME: " + ctx.token().substring(0, 20) + "+/" + ctx.token().substring(22)))),
                bad("subject-token-too-short", "token-too-short", ctx -> plain(headers(CORPUS, "ACME: abcdefgh"))),
                bad("subject-8bit-bytes", "token-invalid-character", ctx -> plain(headers(CORPUS,
                        "ACME: " + ctx.token() + "\u00e9"))),
                bad("header-oversized", "header-too-large", ctx -> {
                    List<String> lines = headers(CORPUS, "ACME: " + ctx.token());
                    for (int i = 0; i < 45; i++) {
                        lines.add("X-Filler-" + i + ": " + "f".repeat(900));
                    }
                    return plain(lines);
                }),
                bad("body-oversized", "oversized", ctx -> deliver(CORPUS, mail(headers(CORPUS, "ACME: " + ctx.token()),
                        ("This line fills the body of an oversized mail.\r\n").repeat(7000)))),
                // From
                bad("from-twice", "multiple-from", ctx -> plain(add(headers(CORPUS, "ACME: " + ctx.token()),
                        "From: mallory@evil.test"))),
                bad("from-two-addresses", "multiple-from", ctx -> plain(replaceHeader(headers(CORPUS,
                        "ACME: " + ctx.token()), "From", CA + ", mallory@evil.test"))),
                bad("from-missing", "from-missing", ctx -> plain(removeHeader(headers(CORPUS, "ACME: " + ctx.token()),
                        "From"))),
                bad("from-group", "from-invalid", ctx -> plain(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()),
                        "From", "ACME team:;"))),
                bad("from-display-name-changed", "dkim-fail", ctx -> deliver(CORPUS, replace(
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM), "From: " + CA, "From: \"Not the CA\" <" + CA + ">"))),
                bad("from-case-changed", "dkim-fail", ctx -> deliver(CORPUS, replace(
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM), "From: " + CA, "From: ACME-CA@CA.TEST"))),
                bad("from-idn-lookalike-domain", "dkim-domain-mismatch", ctx -> deliver(CORPUS, ctx.ca().dkimSign(
                        mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "From", "acme-ca@xn--c-cha.test"),
                                BODY)))),
                bad("from-quoted-local-part", "from-mismatch", ctx -> deliver(CORPUS, ctx.ca().dkimSign(
                        mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "From", "\"acme-ca\"@ca.test"),
                                BODY)))),
                bad("from-other-ca-mailbox-signed", "from-mismatch", ctx -> deliver(CORPUS, ctx.ca().dkimSign(
                        mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "From", "acme-other@ca.test"),
                                BODY)))),
                // Recipients
                bad("recipient-only-in-bcc", "recipient-not-in-to", ctx -> deliver(CORPUS, ctx.ca().dkimSign(
                        mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "To", BOB), BODY)))),
                bad("recipients-several", "multiple-recipients", ctx -> new Delivery(CA, List.of(CORPUS, BOB),
                        ctx.ca().dkimSign(mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "To",
                                CORPUS + ", " + BOB), BODY)))),
                bad("reply-to-prepended-to-signed-mail", "duplicate-header", ctx -> deliver(CORPUS, prepend(
                        ctx.ca().dkimSign(mail(add(headers(CORPUS, "ACME: " + ctx.token()), "Reply-To: " + CA), BODY)),
                        "Reply-To: mallory@evil.test"))),
                bad("to-prepended-to-signed-mail", "duplicate-header", ctx -> deliver(CORPUS, prepend(
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM), "To: " + CORPUS))),
                bad("recipient-crlf-injection", "malformed-header", ctx -> plain(replaceHeader(headers(CORPUS,
                        "ACME: " + ctx.token()), "To", "=?UTF-8?Q?x=0D=0ABcc:_mallory@evil.test?= <" + CORPUS + ">"))),
                // Message-ID
                bad("message-id-removed-after-signing", "dkim-fail", ctx -> deliver(CORPUS, removeLine(
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM), "Message-ID:"))),
                bad("message-id-twice", "multiple-message-id", ctx -> deliver(CORPUS, prepend(
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM), "Message-ID: <duplicate@ca.test>"))),
                // MIME
                bad("mime-8bit-non-utf8-body", "dkim-none", ctx -> deliver(CORPUS, mail(replaceHeader(replaceHeader(
                        headers(CORPUS, "ACME: " + ctx.token()), "Content-Type", "text/plain; charset=UTF-8"),
                        "Content-Transfer-Encoding", "8bit"), "Caf\u00e9 na\u00efve \u00ff\u00fe\r\n"))),
                bad("mime-broken-multipart", "malformed-mime", ctx -> deliver(CORPUS, mail(replaceHeader(
                        headers(CORPUS, "ACME: " + ctx.token()), "Content-Type", "multipart/mixed; boundary=\"b1\""),
                        "no boundary line here\r\n"))),
                bad("mime-nested-too-deep", "mime-too-deep", ctx -> nested(ctx, 6, 1)),
                bad("mime-too-many-parts", "mime-too-deep", ctx -> nested(ctx, 1, 20)),
                // DKIM
                bad("dkim-body-changed-after-signing", "dkim-fail", ctx -> deliver(CORPUS, appendBody(
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM), "Added after signing.\r\n"))),
                bad("dkim-subject-changed-after-signing", "dkim-fail", ctx -> deliver(CORPUS, replace(
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM), "Subject: ACME: " + ctx.token(),
                        "Subject: ACME: " + reversed(ctx.token())))),
                bad("dkim-none", "dkim-none", ctx -> deliver(CORPUS, ctx.genuine(CORPUS, ChallengeSigning.UNSIGNED))),
                bad("dkim-none-bare", "dkim-none", ctx -> deliver(CORPUS, ctx.genuine(CORPUS, ChallengeSigning.BARE))),
                bad("dkim-temperror", "dkim-temperror", ctx -> deliver(CORPUS, ctx.ca().dkimSignAs(mail(replaceHeader(
                        headers(CORPUS, "ACME: " + ctx.token()), "From", "acme-ca@" + TEMPFAIL_DOMAIN), BODY),
                        TEMPFAIL_DOMAIN, REQUIRED_FIELDS))),
                bad("dkim-d-is-not-the-from-domain", "dkim-domain-mismatch", ctx -> deliver(CORPUS,
                        ctx.ca().dkimSignAs(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY), OTHER_SIGNING_DOMAIN,
                                REQUIRED_FIELDS))),
                bad("dkim-required-fields-not-signed", "dkim-headers-unsigned", ctx -> deliver(CORPUS,
                        ctx.ca().dkimSign(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY), "from:subject:date"))),
                // S/MIME
                bad("smime-signer-for-other-address", "smime-signer-mismatch", ctx -> deliver(CORPUS,
                        ctx.ca().smimeSign(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY), SmimeSigner.OTHER_ADDRESS))),
                bad("smime-signer-expired", "smime-untrusted", ctx -> deliver(CORPUS,
                        ctx.ca().smimeSign(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY), SmimeSigner.EXPIRED))),
                bad("smime-signer-untrusted-root", "smime-untrusted", ctx -> deliver(CORPUS,
                        ctx.ca().smimeSign(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY), SmimeSigner.UNTRUSTED))),
                bad("smime-opaque-untrusted-root", "smime-untrusted", ctx -> deliver(CORPUS,
                        ctx.ca().smimeSignOpaque(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY),
                                SmimeSigner.UNTRUSTED))),
                bad("smime-subject-differs-outside", "smime-header-mismatch", ctx -> deliver(CORPUS, replaceFirst(
                        ctx.ca().smimeSign(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY), SmimeSigner.CA),
                        "Subject: ACME: " + ctx.token(), "Subject: ACME: " + reversed(ctx.token())))),
                bad("smime-to-changed-outside", "smime-header-mismatch", ctx -> deliver(CORPUS, replaceFirst(
                        ctx.ca().smimeSign(mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "To",
                                "someone@attacker.test"), BODY), SmimeSigner.CA),
                        "To: someone@attacker.test", "To: " + CORPUS))),
                bad("smime-asn1-nesting-bomb", "smime-malformed", ctx -> deliver(CORPUS, mail(replaceHeader(
                        replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "Content-Transfer-Encoding", "base64"),
                        "Content-Type", "application/pkcs7-mime; smime-type=signed-data"), asn1Bomb()))),
                bad("smime-signed-part-changed", "smime-bad-signature", ctx -> deliver(CORPUS, replace(
                        ctx.ca().smimeSign(mail(headers(CORPUS, "ACME: " + ctx.token()), BODY), SmimeSigner.CA),
                        "corpus challenge body", "corpus challenge BODY"))),
                // Order state
                bad("order-replay-of-answered", "already-answered", ctx -> deliver(ANSWERED, answeredChallenge)),
                bad("order-none-for-user", "no-pending-order", ctx -> deliver(IDLE, ctx.ca().dkimSign(
                        mail(headers(IDLE, "ACME: " + ctx.token()), BODY)))),
                bad("order-challenge-dated-before-order", "stale-challenge", ctx -> deliver(CORPUS, ctx.ca().dkimSign(
                        mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "Date",
                                "Mon, 01 Jan 2024 00:00:00 +0000"), BODY)))),
                bad("order-expired", "order-expired", ctx -> deliver(EXPIRED, ctx.genuine(EXPIRED, ChallengeSigning.DKIM))),
                new Case("order-same-challenge-twice-at-once", TWICE, "already-answered",
                        ctx -> deliver(TWICE, ctx.genuine(TWICE, ChallengeSigning.DKIM))),
                // Senders and loops
                bad("sender-null-bounce", "null-sender", ctx -> new Delivery("", List.of(CORPUS),
                        ctx.genuine(CORPUS, ChallengeSigning.DKIM))),
                bad("loop-own-response", "response-loop", ctx -> deliver(CORPUS, mail(replaceHeader(replaceHeader(
                        headers(CORPUS, "Re: ACME: " + ctx.token()), "From", CORPUS), "To", CORPUS),
                        "-----BEGIN ACME RESPONSE-----\r\nAAAA\r\n-----END ACME RESPONSE-----\r\n"))),
                bad("loop-auto-replied", "response-loop", ctx -> deliver(CORPUS, ctx.ca().dkimSign(mail(add(
                        headers(CORPUS, "ACME: " + ctx.token()), "Auto-Submitted: auto-replied"), BODY)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @Order(1)
    void badMailIsNotAnsweredAndEndsInTheInboxWithItsReason(Case badCase) throws Exception {
        String token = lab.ca().pendingChallenge(CORPUS).orElseThrow().tokenPart1();
        Ctx ctx = new Ctx(lab.ca(), token);
        Delivery delivery = badCase.mail().build(ctx);
        byte[] marked = prepend(delivery.raw(), "X-Corpus-Case: " + badCase.name());
        boolean twiceAtOnce = badCase.user().equals(TWICE);

        if (twiceAtOnce) {
            MailClient.sendConcurrently(lab.james().smtpPort(), delivery.envelopeFrom(), delivery.recipients(),
                    marked, 2);
            expectedResponses.put(TWICE, 1);
            lab.awaitValidCertificate(TWICE, Duration.ofSeconds(90));
        } else {
            MailClient.sendRaw(lab.james().smtpPort(), delivery.envelopeFrom(), delivery.recipients(), marked);
        }

        MailClient.InboxMail arrived = Polling.await(badCase.name() + " in the INBOX of " + badCase.user(),
                MAIL_TIMEOUT, POLL, () -> findCase(badCase), () -> lab.james().describeLog());
        assertThat(arrived.unansweredReasons()).as("reason header of " + badCase.name())
                .containsExactly(badCase.reason());
        for (Map.Entry<String, Integer> expected : expectedResponses.entrySet()) {
            assertThat(lab.ca().responsesReceived(expected.getKey()))
                    .as("responses the CA received for " + expected.getKey() + " after " + badCase.name())
                    .isEqualTo(expected.getValue());
        }

        String sentinel = "After " + badCase.name();
        MailClient.send(lab.james().smtpPort(), "friend@elsewhere.test", badCase.user(), sentinel, "Still delivering.");
        Polling.await("the ordinary mail after " + badCase.name(), MAIL_TIMEOUT, POLL,
                () -> MailClient.inboxNow(lab.james().imapPort(), badCase.user(), PASSWORD).stream()
                        .filter(mail -> sentinel.equals(mail.subject())).findFirst(),
                () -> lab.james().describeLog());

        table.add(String.format("%-36s | %-26s | INBOX of %s, X-Acme-Smime-Unanswered: %s", badCase.name(),
                twiceAtOnce ? "1 answered, 1 not answered" : "not answered", badCase.user(), badCase.reason()));
    }

    @Test
    @Order(2)
    void genuineChallengeIsStillAnsweredOnceAfterTheCorpus() throws Exception {
        byte[] genuine = lab.ca().challengeMail(CORPUS, ChallengeSigning.DKIM);
        MailClient.sendRaw(lab.james().smtpPort(), CA, List.of(CORPUS), genuine);

        lab.awaitValidCertificate(CORPUS, Duration.ofSeconds(90));

        assertThat(lab.ca().responsesReceived(CORPUS)).isEqualTo(1);
        assertThat(cases().count()).isGreaterThanOrEqualTo(40);
        String log = java.nio.file.Files.readString(lab.james().workingDirectory().logFile());
        for (String user : ORDERING_USERS) {
            assertThat(log).as("james.log must not name token-part1 of " + user)
                    .doesNotContain(lab.ca().pendingChallenge(user).orElseThrow().tokenPart1());
        }
        table.add(String.format("%-36s | %-26s | %s", "genuine-dkim-challenge-after-corpus", "answered",
                "consumed; certificate issued"));
    }

    private static Optional<MailClient.InboxMail> findCase(Case badCase) {
        String marker = "X-Corpus-Case: " + badCase.name() + "\r\n";
        return MailClient.inboxNow(lab.james().imapPort(), badCase.user(), PASSWORD).stream()
                .filter(mail -> new String(mail.raw(), StandardCharsets.ISO_8859_1).contains(marker))
                .findFirst();
    }

    // Building mails. Bytes are handled as ISO-8859-1 so that every byte survives unchanged.

    private static final String BODY = "This is the corpus challenge body.\r\n";

    private static Case bad(String name, String reason, MailFactory mail) {
        return new Case(name, userOf(name), reason, mail);
    }

    private static String userOf(String name) {
        return switch (name) {
            case "order-replay-of-answered" -> ANSWERED;
            case "order-none-for-user" -> IDLE;
            case "order-expired" -> EXPIRED;
            default -> CORPUS;
        };
    }

    private static List<String> headers(String to, String subject) {
        List<String> lines = new ArrayList<>();
        lines.add("From: " + CA);
        lines.add("To: " + to);
        lines.add("Subject: " + subject);
        lines.add("Date: " + new MailDateFormat().format(new Date()));
        lines.add("Message-ID: <corpus-" + System.nanoTime() + "@ca.test>");
        lines.add("MIME-Version: 1.0");
        lines.add("Content-Type: text/plain; charset=US-ASCII");
        lines.add("Content-Transfer-Encoding: 7bit");
        return lines;
    }

    private static List<String> add(List<String> lines, String line) {
        lines.add(line);
        return lines;
    }

    private static List<String> replaceHeader(List<String> lines, String name, String value) {
        lines.replaceAll(line -> line.startsWith(name + ":") ? name + ": " + value : line);
        return lines;
    }

    private static List<String> removeHeader(List<String> lines, String name) {
        lines.removeIf(line -> line.startsWith(name + ":"));
        return lines;
    }

    private static byte[] mail(List<String> headerLines, String body) {
        return (String.join("\r\n", headerLines) + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Delivery plain(List<String> headerLines) {
        return deliver(CORPUS, mail(headerLines, BODY));
    }

    private static Delivery deliver(String recipient, byte[] raw) {
        return new Delivery(CA, List.of(recipient), raw);
    }

    private static Delivery nested(Ctx ctx, int depth, int partsPerLevel) {
        String body = BODY;
        String contentType = "text/plain; charset=US-ASCII";
        for (int level = 0; level < depth; level++) {
            String boundary = "level-" + level;
            StringBuilder multipart = new StringBuilder();
            for (int part = 0; part < partsPerLevel; part++) {
                multipart.append("--").append(boundary).append("\r\n")
                        .append("Content-Type: ").append(contentType).append("\r\n\r\n")
                        .append(body).append("\r\n");
            }
            multipart.append("--").append(boundary).append("--\r\n");
            body = multipart.toString();
            contentType = "multipart/mixed; boundary=\"" + boundary + "\"";
        }
        return deliver(CORPUS, mail(replaceHeader(headers(CORPUS, "ACME: " + ctx.token()), "Content-Type",
                contentType), body));
    }

    private static String text(byte[] raw) {
        return new String(raw, StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] replace(byte[] raw, String target, String replacement) {
        String text = text(raw);
        assertThat(text).as("mail to tamper with").contains(target);
        return bytes(text.replace(target, replacement));
    }

    private static byte[] replaceFirst(byte[] raw, String target, String replacement) {
        String text = text(raw);
        int at = text.indexOf(target);
        assertThat(at).as("position of " + target).isNotNegative();
        return bytes(text.substring(0, at) + replacement + text.substring(at + target.length()));
    }

    private static byte[] removeLine(byte[] raw, String prefix) {
        String text = text(raw);
        int headerEnd = text.indexOf("\r\n\r\n");
        List<String> lines = new ArrayList<>(List.of(text.substring(0, headerEnd).split("\r\n")));
        assertThat(lines.removeIf(line -> line.regionMatches(true, 0, prefix, 0, prefix.length())))
                .as("a header line starting with " + prefix).isTrue();
        return bytes(String.join("\r\n", lines) + text.substring(headerEnd));
    }

    private static byte[] prepend(byte[] raw, String headerLine) {
        return bytes(headerLine + "\r\n" + text(raw));
    }

    private static byte[] appendBody(byte[] raw, String line) {
        return bytes(text(raw) + line);
    }

    /** Returns a base64 body of 40000 nested indefinite-length ASN.1 sequences. */
    private static String asn1Bomb() {
        byte[] nested = new byte[40_000 * 2 + 80_000];
        for (int i = 0; i < 40_000; i++) {
            nested[2 * i] = 0x30;
            nested[2 * i + 1] = (byte) 0x80;
        }
        return Base64.getMimeEncoder().encodeToString(nested) + "\r\n";
    }

    private static String reversed(String token) {
        return new StringBuilder(token).reverse().toString();
    }

    private static String b64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.US_ASCII));
    }
}
