package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import javax.mail.internet.ContentType;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** S/MIME signed challenge mails and the bad signers, verified with Bouncy Castle and PKIX. */
class SmimeSigningTest {

    @TempDir
    static Path stateDirectory;

    private static MailFixture mail;
    private static TestCa ca;

    @BeforeAll
    static void startCa() throws Exception {
        mail = new MailFixture();
        ca = mail.startCa(stateDirectory, builder -> builder
                .challengeSigning(ChallengeSigning.SMIME)
                .challengeMailDelay(Duration.ZERO));
    }

    @AfterAll
    static void stopCa() {
        ca.close();
        mail.close();
    }

    private static byte[] unsignedChallenge(String address) throws Exception {
        ChallengeOrders.place(ca, address);
        return ca.challengeMail(address, ChallengeSigning.UNSIGNED);
    }

    private static byte[] sign(byte[] unsigned, SmimeSigner signer, boolean opaque) {
        return opaque ? ca.smimeSignOpaque(unsigned, signer) : ca.smimeSign(unsigned, signer);
    }

    private static void assertProtectedHeadersMatch(SmimeVerification verification)
            throws Exception {
        MimeMessage outer = verification.message();
        MimeBodyPart inner = verification.signedPart();
        for (String name : new String[] {"From", "To", "Subject"}) {
            assertThat(inner.getHeader(name, ",")).as(name)
                    .isNotNull()
                    .isEqualTo(outer.getHeader(name, ","));
        }
    }

    @Test
    void sentChallengeVerifies() throws Exception {
        String address = "smime@example.test";
        ChallengeOrders.place(ca, address);
        byte[] received =
                MailFixture.bytes(mail.awaitChallengeMail(address, Duration.ofSeconds(10)));

        SmimeVerification verification = SmimeVerification.of(received);

        ContentType type = new ContentType(verification.message().getContentType());
        assertThat(type.getBaseType()).isEqualTo("multipart/signed");
        assertThat(type.getParameter("protocol")).isEqualTo("application/pkcs7-signature");
        assertThat(type.getParameter("micalg")).isEqualTo("sha-256");
        assertThat(verification.signatureIsValid()).isTrue();
        assertThat(verification.signerCertificate()).isEqualTo(ca.smimeSigningCertificate());
        assertThat(verification.chainProblem(ca.rootCertificate())).isEmpty();
        assertThat(verification.signerAddresses()).containsExactly(MailFixture.CA_ADDRESS);
        assertProtectedHeadersMatch(verification);
        assertThat(verification.signedPart().isMimeType("text/plain")).isTrue();
        assertThat((String) verification.signedPart().getContent())
                .contains("ACME challenge (RFC 8823)");
        MimeMessage outer = verification.message();
        assertThat(outer.getMessageID()).matches("<.+@ca\\.test>");
        assertThat(outer.getSentDate()).isNotNull();
        assertThat(outer.getHeader("Auto-Submitted", null)).isEqualTo("auto-generated; type=acme");
    }

    @Test
    void opaqueFormVerifies() throws Exception {
        byte[] signed = ca.smimeSignOpaque(unsignedChallenge("opaque@example.test"),
                SmimeSigner.CA);

        SmimeVerification verification = SmimeVerification.of(signed);

        ContentType type = new ContentType(verification.message().getContentType());
        assertThat(type.getBaseType()).isEqualTo("application/pkcs7-mime");
        assertThat(type.getParameter("smime-type")).isEqualTo("signed-data");
        assertThat(verification.signatureIsValid()).isTrue();
        assertThat(verification.chainProblem(ca.rootCertificate())).isEmpty();
        assertThat(verification.signerAddresses()).containsExactly(MailFixture.CA_ADDRESS);
        assertProtectedHeadersMatch(verification);
    }

    @Test
    void changedSignedPartFailsSignature() throws Exception {
        byte[] signed = ca.smimeSign(unsignedChallenge("changed@example.test"), SmimeSigner.CA);
        String text = new String(signed, StandardCharsets.US_ASCII);
        int signedPart = text.indexOf("\r\n--", text.indexOf("boundary="));
        int innerSubject = text.indexOf("Subject: ACME: ", signedPart);
        assertThat(innerSubject).isGreaterThan(signedPart);
        String otherSubject = text.substring(0, innerSubject) + "Subject: ACME: forged"
                + text.substring(text.indexOf("\r\n", innerSubject));
        String otherBody = text.replace("ignore this", "answer this");
        assertThat(otherBody).isNotEqualTo(text);

        assertThat(SmimeVerification.of(signed).signatureIsValid()).isTrue();
        assertThat(SmimeVerification.of(otherSubject.getBytes(StandardCharsets.US_ASCII))
                .signatureIsValid()).isFalse();
        assertThat(SmimeVerification.of(otherBody.getBytes(StandardCharsets.US_ASCII))
                .signatureIsValid()).isFalse();
    }

    @ParameterizedTest(name = "opaque={0}")
    @ValueSource(booleans = {false, true})
    void expiredSignerFailsOnlyValidity(boolean opaque) throws Exception {
        SmimeVerification verification = SmimeVerification.of(sign(
                unsignedChallenge("expired-" + opaque + "@example.test"), SmimeSigner.EXPIRED,
                opaque));

        assertThat(verification.signatureIsValid()).isTrue();
        assertThat(verification.signerAddresses()).containsExactly(MailFixture.CA_ADDRESS);
        assertThat(verification.signerCertificate().getNotAfter())
                .isBefore(new Date());
        Optional<CertPathValidatorException> problem =
                verification.chainProblem(ca.rootCertificate());
        assertThat(problem).hasValueSatisfying(e -> assertThat(e.getReason())
                .isEqualTo(CertPathValidatorException.BasicReason.EXPIRED));
        assertProtectedHeadersMatch(verification);
    }

    @ParameterizedTest(name = "opaque={0}")
    @ValueSource(booleans = {false, true})
    void untrustedSignerFailsOnlyChain(boolean opaque) throws Exception {
        SmimeVerification verification = SmimeVerification.of(sign(
                unsignedChallenge("untrusted-" + opaque + "@example.test"),
                SmimeSigner.UNTRUSTED, opaque));

        assertThat(verification.signatureIsValid()).isTrue();
        assertThat(verification.signerAddresses()).containsExactly(MailFixture.CA_ADDRESS);
        X509Certificate signer = verification.signerCertificate();
        assertThat(signer.getIssuerX500Principal())
                .isNotEqualTo(ca.rootCertificate().getSubjectX500Principal());
        signer.checkValidity();
        assertThat(verification.chainProblem(ca.rootCertificate()))
                .hasValueSatisfying(e -> assertThat(e.getReason())
                        .isEqualTo(PKIXReason.NO_TRUST_ANCHOR));
        assertProtectedHeadersMatch(verification);
    }

    @ParameterizedTest(name = "opaque={0}")
    @ValueSource(booleans = {false, true})
    void otherAddressSignerFailsOnlyAddress(boolean opaque) throws Exception {
        SmimeVerification verification = SmimeVerification.of(sign(
                unsignedChallenge("other-" + opaque + "@example.test"),
                SmimeSigner.OTHER_ADDRESS, opaque));

        assertThat(verification.signatureIsValid()).isTrue();
        assertThat(verification.chainProblem(ca.rootCertificate())).isEmpty();
        assertThat(verification.signerAddresses()).containsExactly("someone-else@ca.test");
        assertProtectedHeadersMatch(verification);
    }

    @Test
    void signingKeepsOuterHeadersExactly() throws Exception {
        String address = "bare-smime@example.test";
        ChallengeOrders.place(ca, address);
        byte[] bare = ca.challengeMail(address, ChallengeSigning.BARE);

        MimeMessage signed = SmimeVerification.of(ca.smimeSign(bare, SmimeSigner.CA)).message();

        assertThat(signed.getHeader("Message-ID")).isNull();
        assertThat(signed.getHeader("Date")).isNull();
        assertThat(signed.getHeader("Auto-Submitted")).isNull();
        assertThat(signed.getSubject()).startsWith("ACME: ");
    }

    @Test
    void signingCertificateHasSmimeProfile() throws Exception {
        X509Certificate certificate = ca.smimeSigningCertificate();

        certificate.verify(ca.rootCertificate().getPublicKey());
        assertThat(certificate.getSubjectAlternativeNames())
                .containsExactly(List.of(1, MailFixture.CA_ADDRESS));
        assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.4");
        boolean[] keyUsage = certificate.getKeyUsage();
        assertThat(keyUsage[0]).as("digitalSignature").isTrue();
        for (int bit = 1; bit < keyUsage.length; bit++) {
            assertThat(keyUsage[bit]).as("key usage bit " + bit).isFalse();
        }
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
        assertThat(certificate.getNotAfter()).isEqualTo(ca.rootCertificate().getNotAfter());
    }

    @Test
    void restartKeepsSigningCertificate() throws Exception {
        X509Certificate first = ca.smimeSigningCertificate();
        try (TestCa restarted = mail.startCa(stateDirectory, builder -> builder)) {
            assertThat(restarted.smimeSigningCertificate()).isEqualTo(first);
        }
    }

    @Test
    void newCaAddressReissuesCertificate(@TempDir Path otherState) throws Exception {
        X509Certificate first;
        try (TestCa started = mail.startCa(otherState, builder -> builder)) {
            first = started.smimeSigningCertificate();
        }
        try (TestCa moved = mail.startCa(otherState,
                builder -> builder.caAddress("acme@moved.test"))) {
            assertThat(moved.smimeSigningCertificate()).isNotEqualTo(first);
            assertThat(moved.smimeSigningCertificate().getSubjectAlternativeNames())
                    .containsExactly(List.of(1, "acme@moved.test"));
        }
    }
}
