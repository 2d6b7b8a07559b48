package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeUtility;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyUsage;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.toolbox.JoseUtils;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * The email-reply-00 round trip over GreenMail SMTP and IMAP: challenge mail, response mail,
 * validation, finalize and certificate download.
 */
class EmailReplyFlowTest {

    static {
        // acme4j's KeyPairUtils creates EC keys through the Bouncy Castle provider.
        Security.addProvider(new BouncyCastleProvider());
    }

    private static final String ERROR = "urn:ietf:params:acme:error:";

    @TempDir
    static Path stateDirectory;

    private static MailFixture mail;
    private static TestCa ca;

    @BeforeAll
    static void startCa() throws Exception {
        mail = new MailFixture();
        ca = mail.startCa(stateDirectory, builder -> builder
                .responseWait(Duration.ofSeconds(3))
                .certificateValidity(Duration.ofDays(30)));
    }

    @AfterAll
    static void stopCa() {
        ca.close();
        mail.close();
    }

    /** Account, order and fetched challenge for one address. */
    private record Pending(KeyPair accountKey, Order order, Challenge challenge) {
        String tokenPart2() {
            return challenge.getJSON().get("token").asString();
        }
    }

    private static Pending order(String address) throws Exception {
        KeyPair accountKey = KeyPairUtils.createKeyPair();
        Session session = new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
        Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey)
                .create(session);
        Order order = account.newOrder().identifier(new Identifier("email", address)).create();
        Authorization authorization = order.getAuthorizations().get(0);
        Challenge challenge = authorization.getChallenges().get(0);
        return new Pending(accountKey, order, challenge);
    }

    /** Computes the RFC 8823 response digest with acme4j's thumbprint and the JDK digest. */
    private static String responseDigest(String tokenPart1, Pending pending) throws Exception {
        Base64.Encoder base64url = Base64.getUrlEncoder().withoutPadding();
        String thumbprint = base64url.encodeToString(
                JoseUtils.thumbprint(pending.accountKey().getPublic()));
        String keyAuthorization = tokenPart1 + pending.tokenPart2() + "." + thumbprint;
        return base64url.encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(keyAuthorization.getBytes(StandardCharsets.UTF_8)));
    }

    private static String responseBody(String digest) {
        String wrapped = digest.substring(0, 20) + "\r\n" + digest.substring(20);
        return "Response to the ACME challenge.\r\n\r\n-----BEGIN ACME RESPONSE-----\r\n"
                + wrapped + "\r\n-----END ACME RESPONSE-----\r\n";
    }

    private static String tokenPart1(MimeMessage challengeMail) throws Exception {
        return challengeMail.getSubject().substring("ACME: ".length());
    }

    private static Pending validated(String address) throws Exception {
        Pending pending = order(address);
        MimeMessage challengeMail = mail.awaitChallengeMail(address, Duration.ofSeconds(10));
        String tokenPart1 = tokenPart1(challengeMail);
        mail.sendToCa(address, "Re: ACME: " + tokenPart1,
                responseBody(responseDigest(tokenPart1, pending)));
        pending.challenge().trigger();
        assertThat(pending.challenge().waitForCompletion(Duration.ofSeconds(15)))
                .isEqualTo(Status.VALID);
        return pending;
    }

    @Test
    void challengeMailHasRfc8823Headers() throws Exception {
        String address = "headers@example.test";
        Pending pending = order(address);
        MimeMessage challengeMail = mail.awaitChallengeMail(address, Duration.ofSeconds(10));
        assertThat(challengeMail.getFrom()).containsExactly(
                new InternetAddress(MailFixture.CA_ADDRESS));
        assertThat(challengeMail.getRecipients(javax.mail.Message.RecipientType.TO))
                .containsExactly(new InternetAddress(address));
        assertThat(tokenPart1(challengeMail)).matches("[A-Za-z0-9_-]{22,}");
        assertThat(tokenPart1(challengeMail)).isNotEqualTo(pending.tokenPart2());
        assertThat(challengeMail.getHeader("Auto-Submitted", null))
                .isEqualTo("auto-generated; type=acme");
        assertThat(challengeMail.getMessageID()).matches("<.+@.+>");
        assertThat(challengeMail.getSentDate()).isNotNull();
        assertThat(challengeMail.isMimeType("text/plain")).isTrue();
        assertThat(challengeMail.getHeader("DKIM-Signature")).isNull();
        assertThat(ChallengeOrders.awaitChallengesSent(ca, address, 1)).isEqualTo(1);
    }

    @Test
    void defaultTimingSendsMailAfterFetch() throws Exception {
        String address = "after-fetch@example.test";
        order(address);
        assertThat(ca.challengesSent(address)).isZero();
        mail.awaitChallengeMail(address, Duration.ofSeconds(10));
        assertThat(ChallengeOrders.awaitChallengesSent(ca, address, 1)).isEqualTo(1);
    }

    @Test
    void correctResponseValidatesAndIssues() throws Exception {
        String address = "alice@example.test";
        Pending pending = validated(address);
        Order order = pending.order();
        assertThat(order.waitUntilReady(Duration.ofSeconds(5))).isEqualTo(Status.READY);
        assertThat(ca.responsesReceived(address)).isEqualTo(1);
        assertThat(ca.challengesSent(address)).isEqualTo(1);

        KeyPair certificateKey = KeyPairUtils.createKeyPair(2048);
        order.execute(CsrFactory.csr(certificateKey, CsrFactory.emails(address)));
        assertThat(order.waitForCompletion(Duration.ofSeconds(5))).isEqualTo(Status.VALID);
        List<X509Certificate> chain = order.getCertificate().getCertificateChain();
        assertThat(chain).hasSize(2);
        X509Certificate leaf = chain.get(0);
        assertThat(chain.get(1)).isEqualTo(ca.rootCertificate());
        leaf.verify(ca.rootCertificate().getPublicKey());
        assertThat(leaf.getPublicKey()).isEqualTo(certificateKey.getPublic());
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(1, address));
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.4");
        boolean[] keyUsage = leaf.getKeyUsage();
        assertThat(keyUsage[0]).as("digitalSignature").isTrue();
        assertThat(keyUsage[2]).as("keyEncipherment").isTrue();
        assertThat(keyUsage[4]).as("keyAgreement").isFalse();
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        Duration validity = Duration.between(leaf.getNotBefore().toInstant(),
                leaf.getNotAfter().toInstant());
        assertThat(validity).isBetween(Duration.ofDays(30), Duration.ofDays(30).plusMinutes(10));
    }

    @Test
    void issuedCertificatesListedPerAddress() throws Exception {
        String address = "issued@example.test";
        String otherAddress = "issued-other@example.test";
        assertThat(ca.issuedCertificates(address)).isEmpty();
        X509Certificate first = issue(address, 1);
        X509Certificate other = issue(otherAddress, 1);
        X509Certificate second = issue(address, 2);

        assertThat(ca.issuedCertificates(address)).containsExactly(first, second);
        assertThat(ca.issuedCertificates("Issued@Example.TEST")).containsExactly(first, second);
        assertThat(ca.issuedCertificates(otherAddress)).containsExactly(other);
        assertThat(ca.issuedCertificates("never-issued@example.test")).isEmpty();
    }

    /**
     * Orders {@code address}, sends the response to the challenge mail numbered
     * {@code challengeNumber} for that address, finalizes the order and returns the leaf. The
     * token comes from the CA, because {@link MailFixture#awaitChallengeMail} returns only the
     * first mail.
     */
    private static X509Certificate issue(String address, int challengeNumber)
            throws Exception {
        Pending pending = order(address);
        assertThat(ChallengeOrders.awaitChallengesSent(ca, address, challengeNumber))
                .isEqualTo(challengeNumber);
        String tokenPart1 = ca.pendingChallenge(address).orElseThrow().tokenPart1();
        mail.sendToCa(address, "Re: ACME: " + tokenPart1,
                responseBody(responseDigest(tokenPart1, pending)));
        pending.challenge().trigger();
        assertThat(pending.challenge().waitForCompletion(Duration.ofSeconds(15)))
                .isEqualTo(Status.VALID);
        Order order = pending.order();
        assertThat(order.waitUntilReady(Duration.ofSeconds(5))).isEqualTo(Status.READY);
        order.execute(CsrFactory.csr(KeyPairUtils.createKeyPair(2048),
                CsrFactory.emails(address)));
        assertThat(order.waitForCompletion(Duration.ofSeconds(5))).isEqualTo(Status.VALID);
        return order.getCertificate().getCertificate();
    }

    @Test
    void finalizeRejectsWrongSans() throws Exception {
        String address = "csr@example.test";
        Pending pending = validated(address);
        Order order = pending.order();
        KeyPair key = KeyPairUtils.createKeyPair(2048);
        List<byte[]> badCsrs = List.of(
                CsrFactory.csr(key, CsrFactory.emails("mallory@example.test")),
                CsrFactory.csr(key, CsrFactory.emails(address, "extra@example.test")),
                CsrFactory.csr(key, new GeneralName(GeneralName.rfc822Name, address),
                        new GeneralName(GeneralName.dNSName, "example.test")),
                CsrFactory.csr(key));
        for (byte[] csr : badCsrs) {
            assertThatThrownBy(() -> order.execute(csr))
                    .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                            e.getType()).hasToString(ERROR + "badCSR"));
        }
        byte[] tampered = CsrFactory.csr(key, CsrFactory.emails(address));
        tampered[tampered.length - 10] ^= 0x01;
        assertThatThrownBy(() -> order.execute(tampered))
                .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                        e.getType()).hasToString(ERROR + "badCSR"));

        KeyPair ecKey = KeyPairUtils.createECKeyPair("secp256r1");
        order.execute(CsrFactory.csr(ecKey, CsrFactory.emails(address.toUpperCase())));
        assertThat(order.waitForCompletion(Duration.ofSeconds(5))).isEqualTo(Status.VALID);
        boolean[] keyUsage = order.getCertificate().getCertificate().getKeyUsage();
        assertThat(keyUsage[0]).as("digitalSignature").isTrue();
        assertThat(keyUsage[4]).as("keyAgreement").isTrue();
        assertThat(keyUsage[2]).as("keyEncipherment").isFalse();
    }

    @Test
    void keyUsageFromCsrIsKept() throws Exception {
        String address = "ku@example.test";
        Order order = validated(address).order();
        KeyPair key = KeyPairUtils.createKeyPair(2048);
        order.execute(CsrFactory.csr(key, new KeyUsage(KeyUsage.digitalSignature),
                CsrFactory.emails(address)));
        assertThat(order.waitForCompletion(Duration.ofSeconds(5))).isEqualTo(Status.VALID);
        boolean[] keyUsage = order.getCertificate().getCertificate().getKeyUsage();
        assertThat(keyUsage[0]).as("digitalSignature").isTrue();
        assertThat(keyUsage[2]).as("keyEncipherment").isFalse();
    }

    @Test
    void encodedFoldedSubjectIsAccepted() throws Exception {
        String address = "folded@example.test";
        Pending pending = order(address);
        String tokenPart1 = tokenPart1(mail.awaitChallengeMail(address, Duration.ofSeconds(10)));
        String subject = MimeUtility.fold(9,
                MimeUtility.encodeText("Re: ACME: " + tokenPart1, "UTF-8", "B"));
        mail.sendToCa(address, subject, responseBody(responseDigest(tokenPart1, pending)));
        pending.challenge().trigger();
        assertThat(pending.challenge().waitForCompletion(Duration.ofSeconds(15)))
                .isEqualTo(Status.VALID);
    }

    @Test
    void wrongDigestIsIncorrectResponse() throws Exception {
        String address = "wrong-digest@example.test";
        Pending pending = order(address);
        String tokenPart1 = tokenPart1(mail.awaitChallengeMail(address, Duration.ofSeconds(10)));
        String digest = responseDigest(tokenPart1 + "x", pending);
        mail.sendToCa(address, "Re: ACME: " + tokenPart1, responseBody(digest));
        pending.challenge().trigger();
        assertThat(pending.challenge().waitForCompletion(Duration.ofSeconds(15)))
                .isEqualTo(Status.INVALID);
        assertThat(pending.challenge().getError()).hasValueSatisfying(problem -> assertThat(
                problem.getType()).hasToString(ERROR + "incorrectResponse"));
        pending.order().fetch();
        assertThat(pending.order().getStatus()).isEqualTo(Status.INVALID);
        assertThat(ca.responsesReceived(address)).isEqualTo(1);
    }

    @Test
    void responseFromOtherSenderIsIgnored() throws Exception {
        String address = "spoofed@example.test";
        Pending pending = order(address);
        String tokenPart1 = tokenPart1(mail.awaitChallengeMail(address, Duration.ofSeconds(10)));
        mail.sendToCa("mallory@example.test", "Re: ACME: " + tokenPart1,
                responseBody(responseDigest(tokenPart1, pending)));
        Instant triggered = Instant.now();
        pending.challenge().trigger();
        assertThat(pending.challenge().waitForCompletion(Duration.ofSeconds(15)))
                .isEqualTo(Status.INVALID);
        assertThat(Duration.between(triggered, Instant.now()))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(pending.challenge().getError()).hasValueSatisfying(problem -> assertThat(
                problem.getType()).hasToString(ERROR + "incorrectResponse"));
        assertThat(ca.responsesReceived(address)).isEqualTo(1);
    }

    @Test
    void missingResponseTimesOut() throws Exception {
        String address = "silent@example.test";
        Pending pending = order(address);
        mail.awaitChallengeMail(address, Duration.ofSeconds(10));
        pending.challenge().trigger();
        assertThat(pending.challenge().waitForCompletion(Duration.ofSeconds(15)))
                .isEqualTo(Status.INVALID);
        assertThat(pending.challenge().getError()).hasValueSatisfying(problem -> assertThat(
                problem.getType()).hasToString(ERROR + "incorrectResponse"));
        Authorization authorization = pending.order().getAuthorizations().get(0);
        authorization.fetch();
        assertThat(authorization.getStatus()).isEqualTo(Status.INVALID);
        assertThat(ca.responsesReceived(address)).isZero();
    }

    @Test
    void countsAreZeroForUnknownAddress() {
        assertThat(ca.responsesReceived("nobody@example.test")).isZero();
        assertThat(ca.challengesSent("nobody@example.test")).isZero();
    }
}
