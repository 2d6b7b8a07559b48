package io.jamesacme.smime.authenticity;

import static io.jamesacme.smime.authenticity.SignedMailBuilder.received;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.jamesacme.smime.authenticity.TestPki.Credential;
import io.jamesacme.smime.authenticity.TestPki.SignerProfile;
import io.jamesacme.smime.rfc8823.RejectionReason;

class SmimeCheckTest {
    private static final String CA_ADDRESS = "acme-ca@ca.test";
    private static final String SUBJECT = "ACME: aGVsbG8td29ybGQtdG9rZW4tcGFydC0x";

    private static Credential root;
    private static Credential otherRoot;
    private static Credential signer;
    private static SmimeCheck check;

    @TempDir
    Path folder;

    @BeforeAll
    static void issueCertificates() throws Exception {
        root = TestPki.root("Test S/MIME Root");
        otherRoot = TestPki.root("Other Root");
        signer = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS));
        check = new SmimeCheck(List.of(root.certificate()));
    }

    private static SignedMailBuilder mailBy(Credential credential) {
        return new SignedMailBuilder(credential, CA_ADDRESS, SUBJECT);
    }

    private static Verdict verify(SmimeCheck smimeCheck, byte[] wire, String from) throws Exception {
        return smimeCheck.check(received(wire), new InternetAddress(from), Optional.empty());
    }

    private static Verdict verify(byte[] wire) throws Exception {
        return verify(check, wire, CA_ADDRESS);
    }

    private static void assertAuthentic(Verdict verdict) {
        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
        assertThat(verdict.method()).contains(AuthenticityMethod.SMIME);
        assertThat(verdict.reason()).isEmpty();
    }

    private static void assertRejected(Verdict verdict, RejectionReason reason) {
        assertThat(verdict.isAuthentic()).as(verdict.detail()).isFalse();
        assertThat(verdict.reason()).as(verdict.detail()).contains(reason);
    }

    /** Replaces the first occurrence of {@code from} in the bytes, keeping the length. */
    private static byte[] replaceOnce(byte[] bytes, String from, String to) {
        assertThat(to).hasSameSizeAs(from);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(from);
        assertThat(at).as("position of " + from).isNotNegative();
        return (text.substring(0, at) + to + text.substring(at + from.length()))
            .getBytes(StandardCharsets.ISO_8859_1);
    }

    private Path pemFile(X509Certificate... certificates) throws Exception {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (X509Certificate certificate : certificates) {
                writer.writeObject(certificate);
            }
        }
        Path file = folder.resolve("anchors.pem");
        Files.writeString(file, text.toString());
        return file;
    }

    @Test
    void multipartSignedIsAuthentic() throws Exception {
        byte[] wire = mailBy(signer).multipartSigned();
        MimeMessage message = received(wire);
        assertThat(message.getContentType()).startsWith("multipart/signed");

        Verdict verdict = check.check(message, new InternetAddress(CA_ADDRESS), Optional.empty());

        assertAuthentic(verdict);
        assertThat(verdict.detail()).contains(CA_ADDRESS);
    }

    @Test
    void multipartSignedSurvivesSecondRoundTrip() throws Exception {
        MimeMessage first = received(mailBy(signer).multipartSigned());
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        first.writeTo(again);

        assertAuthentic(verify(again.toByteArray()));
    }

    @Test
    void mailInJamesWrapperIsAuthentic() throws Exception {
        for (byte[] wire : List.of(mailBy(signer).multipartSigned(), mailBy(signer).pkcs7Mime())) {
            MimeMessageWrapper held = new MimeMessageWrapper(
                MimeMessageInputStreamSource.create("smime-test", new ByteArrayInputStream(wire)));
            try {
                assertAuthentic(check.check(held, new InternetAddress(CA_ADDRESS), Optional.empty()));
            } finally {
                held.dispose();
            }
        }
    }

    @Test
    void pkcs7MimeIsAuthentic() throws Exception {
        byte[] wire = mailBy(signer).pkcs7Mime();
        assertThat(received(wire).getContentType()).startsWith("application/pkcs7-mime");

        assertAuthentic(verify(wire));
    }

    @Test
    void headersInMessageEntityAreAuthentic() throws Exception {
        assertAuthentic(verify(mailBy(signer).wrapInMessage().multipartSigned()));
        assertAuthentic(verify(mailBy(signer).wrapInMessage().pkcs7Mime()));
    }

    @Test
    void otherSubjectInMessageEntityIsHeaderMismatch() throws Exception {
        byte[] wire = mailBy(signer).wrapInMessage().innerSubject("ACME: other").multipartSigned();

        assertRejected(verify(wire), RejectionReason.SMIME_HEADER_MISMATCH);
    }

    @Test
    void entityWithoutTransferEncodingIsAuthentic() throws Exception {
        assertAuthentic(verify(mailBy(signer).withoutTransferEncoding().multipartSigned()));
    }

    @Test
    void legacyMediaTypesAreAuthentic() throws Exception {
        assertAuthentic(verify(mailBy(signer).legacyTypes().multipartSigned()));
        assertAuthentic(verify(mailBy(signer).legacyTypes().pkcs7Mime()));
    }

    @Test
    void encodedInnerSubjectMatchesPlainOuterSubject() throws Exception {
        String encoded = "=?UTF-8?B?" + Base64.getEncoder().encodeToString(
            SUBJECT.getBytes(StandardCharsets.UTF_8)) + "?=";

        assertAuthentic(verify(mailBy(signer).innerSubject(encoded).multipartSigned()));
    }

    @Test
    void mailWithLfLineEndsIsAuthentic() throws Exception {
        String crlf = new String(mailBy(signer).multipartSigned(), StandardCharsets.ISO_8859_1);
        byte[] lf = crlf.replace("\r\n", "\n").getBytes(StandardCharsets.ISO_8859_1);

        assertAuthentic(verify(lf));
    }

    @Test
    void methodIsSmime() {
        assertThat(check.method()).isEqualTo(AuthenticityMethod.SMIME);
    }

    @Test
    void fromInOtherCaseIsAuthentic() throws Exception {
        byte[] wire = mailBy(signer).multipartSigned();

        assertAuthentic(verify(check, wire, "ACME-CA@Ca.Test"));
    }

    @Test
    void signerUnderIncludedIntermediateIsAuthentic() throws Exception {
        Credential intermediate = TestPki.intermediate(root, "Test S/MIME Issuing CA");
        Credential issued = TestPki.signer(intermediate, SignerProfile.forAddress(CA_ADDRESS));

        byte[] wire = mailBy(issued).includeCertificate(intermediate.certificate()).multipartSigned();

        assertAuthentic(verify(wire));
    }

    @Test
    void signerWithoutExtendedKeyUsageIsAuthentic() throws Exception {
        Credential unrestricted = TestPki.signer(root,
            SignerProfile.forAddress(CA_ADDRESS).withExtendedKeyUsages());

        assertAuthentic(verify(mailBy(unrestricted).multipartSigned()));
    }

    @Test
    void signerWithSeveralAddressesIsAuthentic() throws Exception {
        SignerProfile profile = SignerProfile.forAddress(CA_ADDRESS)
            .withAddresses("other@ca.test", CA_ADDRESS);

        assertAuthentic(verify(mailBy(TestPki.signer(root, profile)).pkcs7Mime()));
    }

    @Test
    void tamperedMultipartContentIsBadSignature() throws Exception {
        byte[] wire = replaceOnce(mailBy(signer).multipartSigned(), "ACME challenge.", "ACME challenge!");

        assertRejected(verify(wire), RejectionReason.SMIME_BAD_SIGNATURE);
    }

    @Test
    void tamperedPkcs7ContentIsBadSignature() throws Exception {
        SignedMailBuilder builder = mailBy(signer);
        byte[] cms = replaceOnce(builder.signature(builder.signedEntity(), true), "ACME challenge.",
            "ACME challenge!");

        assertRejected(verify(builder.pkcs7Mime(cms)), RejectionReason.SMIME_BAD_SIGNATURE);
    }

    @Test
    void signatureOverOtherEntityIsBadSignature() throws Exception {
        SignedMailBuilder builder = mailBy(signer);
        byte[] entity = builder.signedEntity();
        byte[] otherEntity = new SignedMailBuilder(signer, CA_ADDRESS, "ACME: other").signedEntity();

        byte[] wire = builder.multipartSigned(entity, builder.signature(otherEntity, false));

        assertRejected(verify(wire), RejectionReason.SMIME_BAD_SIGNATURE);
    }

    @Test
    void expiredSignerIsUntrusted() throws Exception {
        Instant now = Instant.now();
        Credential expired = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS)
            .withValidity(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))));

        assertRejected(verify(mailBy(expired).multipartSigned()), RejectionReason.SMIME_UNTRUSTED);
    }

    @Test
    void signerExpiredSinceSigningIsUntrusted() throws Exception {
        Instant now = Instant.now();
        Credential expired = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS)
            .withValidity(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))));

        byte[] wire = mailBy(expired).signingTime(Date.from(now.minus(Duration.ofDays(5))))
            .multipartSigned();
        Verdict verdict = verify(wire);

        assertRejected(verdict, RejectionReason.SMIME_UNTRUSTED);
        assertThat(verdict.detail()).contains("not valid now");
    }

    @Test
    void signerNotYetValidIsUntrusted() throws Exception {
        Instant now = Instant.now();
        Credential future = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS)
            .withValidity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(10))));

        byte[] wire = mailBy(future).signingTime(Date.from(now.plus(Duration.ofDays(2))))
            .pkcs7Mime();

        assertRejected(verify(wire), RejectionReason.SMIME_UNTRUSTED);
    }

    @Test
    void signerOfOtherRootIsUntrusted() throws Exception {
        Credential foreign = TestPki.signer(otherRoot, SignerProfile.forAddress(CA_ADDRESS));

        Verdict verdict = verify(mailBy(foreign).includeCertificate(otherRoot.certificate())
            .multipartSigned());

        assertRejected(verdict, RejectionReason.SMIME_UNTRUSTED);
        assertThat(verdict.detail()).contains("trust anchor");
    }

    @Test
    void signerUnderMissingIntermediateIsUntrusted() throws Exception {
        Credential intermediate = TestPki.intermediate(root, "Test S/MIME Issuing CA");
        Credential issued = TestPki.signer(intermediate, SignerProfile.forAddress(CA_ADDRESS));

        assertRejected(verify(mailBy(issued).multipartSigned()), RejectionReason.SMIME_UNTRUSTED);
    }

    @Test
    void signatureWithoutSignerCertificateIsUntrusted() throws Exception {
        byte[] wire = mailBy(signer).withoutSignerCertificate().pkcs7Mime();

        assertRejected(verify(wire), RejectionReason.SMIME_UNTRUSTED);
    }

    @Test
    void noTrustAnchorsIsUntrusted() throws Exception {
        Verdict verdict = verify(new SmimeCheck(List.of()), mailBy(signer).multipartSigned(), CA_ADDRESS);

        assertRejected(verdict, RejectionReason.SMIME_UNTRUSTED);
        assertThat(verdict.detail()).contains("no S/MIME trust anchors");
    }

    @Test
    void signerWithoutEmailProtectionIsUntrusted() throws Exception {
        Credential serverOnly = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS)
            .withExtendedKeyUsages(KeyPurposeId.id_kp_serverAuth));

        Verdict verdict = verify(mailBy(serverOnly).multipartSigned());

        assertRejected(verdict, RejectionReason.SMIME_UNTRUSTED);
        assertThat(verdict.detail()).contains("email protection");
    }

    @Test
    void signerWithoutSigningKeyUsageIsUntrusted() throws Exception {
        Credential encryptionOnly = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS)
            .withKeyUsage(KeyUsage.keyEncipherment));

        Verdict verdict = verify(mailBy(encryptionOnly).multipartSigned());

        assertRejected(verdict, RejectionReason.SMIME_UNTRUSTED);
        assertThat(verdict.detail()).contains("key usage");
    }

    @Test
    void signerWithNonRepudiationOnlyIsAuthentic() throws Exception {
        Credential nonRepudiation = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS)
            .withKeyUsage(KeyUsage.nonRepudiation));

        assertAuthentic(verify(mailBy(nonRepudiation).multipartSigned()));
    }

    @Test
    void signerWithoutKeyUsageIsAuthentic() throws Exception {
        Credential unrestricted = TestPki.signer(root, SignerProfile.forAddress(CA_ADDRESS).withKeyUsage(0));

        assertAuthentic(verify(mailBy(unrestricted).multipartSigned()));
    }

    @Test
    void signerForOtherAddressIsMismatch() throws Exception {
        Credential other = TestPki.signer(root, SignerProfile.forAddress("other@ca.test"));

        Verdict verdict = verify(mailBy(other).multipartSigned());

        assertRejected(verdict, RejectionReason.SMIME_SIGNER_MISMATCH);
        assertThat(verdict.detail()).contains(CA_ADDRESS);
    }

    @Test
    void signerForOtherAddressInPkcs7IsMismatch() throws Exception {
        Credential other = TestPki.signer(root, SignerProfile.forAddress("other@ca.test"));

        assertRejected(verify(mailBy(other).pkcs7Mime()), RejectionReason.SMIME_SIGNER_MISMATCH);
    }

    @Test
    void innerSubjectDifferentIsHeaderMismatch() throws Exception {
        byte[] wire = mailBy(signer).innerSubject("ACME: b3RoZXItdG9rZW4tcGFydC0xLXZhbHVl")
            .multipartSigned();

        Verdict verdict = verify(wire);

        assertRejected(verdict, RejectionReason.SMIME_HEADER_MISMATCH);
        assertThat(verdict.detail()).contains("Subject");
    }

    @Test
    void addedOuterReplyToIsHeaderMismatch() throws Exception {
        String signed = new String(mailBy(signer).multipartSigned(), StandardCharsets.ISO_8859_1);
        byte[] wire = ("Reply-To: mallory@evil.test\r\n" + signed).getBytes(StandardCharsets.ISO_8859_1);

        Verdict verdict = verify(wire);

        assertRejected(verdict, RejectionReason.SMIME_HEADER_MISMATCH);
        assertThat(verdict.detail()).contains("Reply-To");
    }

    @Test
    void innerFromDifferentIsHeaderMismatch() throws Exception {
        byte[] wire = mailBy(signer).innerFrom("mallory@evil.test").pkcs7Mime();

        Verdict verdict = verify(wire);

        assertRejected(verdict, RejectionReason.SMIME_HEADER_MISMATCH);
        assertThat(verdict.detail()).contains("From");
    }

    @Test
    void outerSubjectChangedIsHeaderMismatch() throws Exception {
        byte[] wire = replaceOnce(mailBy(signer).multipartSigned(), "Subject: ACME: aGVs",
            "Subject: ACME: bGVs");

        assertRejected(verify(wire), RejectionReason.SMIME_HEADER_MISMATCH);
    }

    @Test
    void outerToChangedIsHeaderMismatch() throws Exception {
        byte[] wire = replaceOnce(mailBy(signer).multipartSigned(), "To: alice@example.test",
            "To: carol@example.test");

        Verdict verdict = verify(wire);

        assertRejected(verdict, RejectionReason.SMIME_HEADER_MISMATCH);
        assertThat(verdict.detail()).contains("To");
    }

    @Test
    void deeplyNestedCmsIsMalformedNotAStackOverflow() throws Exception {
        byte[] nested = new byte[40_000 * 2 + 80_000];
        for (int i = 0; i < 40_000; i++) {
            nested[2 * i] = 0x30;
            nested[2 * i + 1] = (byte) 0x80;
        }
        String wire = "From: " + CA_ADDRESS + "\r\nTo: alice@example.test\r\nSubject: ACME: aGVsbG8td29ybGQtdG9rZW4tcGFydC0x\r\n"
            + "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n"
            + java.util.Base64.getMimeEncoder().encodeToString(nested) + "\r\n";

        Verdict verdict = verify(wire.getBytes(StandardCharsets.US_ASCII));

        assertRejected(verdict, RejectionReason.SMIME_MALFORMED);
    }

    @Test
    void innerHeadersMissingIsHeaderMismatch() throws Exception {
        byte[] wire = mailBy(signer).withoutInnerHeaders().multipartSigned();

        assertRejected(verify(wire), RejectionReason.SMIME_HEADER_MISMATCH);
    }

    @Test
    void unsignedMailIsNone() throws Exception {
        byte[] wire = String.join("\r\n", "From: " + CA_ADDRESS, "To: alice@example.test",
            "Subject: " + SUBJECT, "Content-Type: text/plain", "", "hello", "")
            .getBytes(StandardCharsets.US_ASCII);

        assertRejected(verify(wire), RejectionReason.SMIME_NONE);
    }

    @Test
    void multipartMixedIsNone() throws Exception {
        byte[] wire = String.join("\r\n", "From: " + CA_ADDRESS, "Subject: " + SUBJECT,
            "Content-Type: multipart/mixed; boundary=b1", "", "--b1", "Content-Type: text/plain", "",
            "hello", "--b1--", "").getBytes(StandardCharsets.US_ASCII);

        assertRejected(verify(wire), RejectionReason.SMIME_NONE);
    }

    @Test
    void envelopedDataIsNone() throws Exception {
        byte[] wire = String.join("\r\n", "From: " + CA_ADDRESS, "Subject: " + SUBJECT,
            "Content-Type: application/pkcs7-mime; smime-type=enveloped-data",
            "Content-Transfer-Encoding: base64", "", "AAAA", "").getBytes(StandardCharsets.US_ASCII);

        assertRejected(verify(wire), RejectionReason.SMIME_NONE);
    }

    @Test
    void multipartSignedWithOnePartIsMalformed() throws Exception {
        byte[] wire = String.join("\r\n", "From: " + CA_ADDRESS, "Subject: " + SUBJECT,
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b1",
            "", "--b1", "Content-Type: text/plain", "", "hello", "--b1--", "")
            .getBytes(StandardCharsets.US_ASCII);

        assertRejected(verify(wire), RejectionReason.SMIME_MALFORMED);
    }

    @Test
    void garbageSignatureIsMalformed() throws Exception {
        SignedMailBuilder builder = mailBy(signer);
        byte[] wire = builder.multipartSigned(builder.signedEntity(),
            "not a CMS structure".getBytes(StandardCharsets.US_ASCII));

        assertRejected(verify(wire), RejectionReason.SMIME_MALFORMED);
    }

    @Test
    void secondPartOfOtherTypeIsMalformed() throws Exception {
        byte[] wire = String.join("\r\n", "From: " + CA_ADDRESS, "Subject: " + SUBJECT,
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b1",
            "", "--b1", "Content-Type: text/plain", "", "hello", "--b1", "Content-Type: text/plain",
            "", "signature?", "--b1--", "").getBytes(StandardCharsets.US_ASCII);

        assertRejected(verify(wire), RejectionReason.SMIME_MALFORMED);
    }

    @Test
    void garbagePkcs7MimeIsMalformed() throws Exception {
        byte[] wire = mailBy(signer).pkcs7Mime("not a CMS structure".getBytes(StandardCharsets.US_ASCII));

        assertRejected(verify(wire), RejectionReason.SMIME_MALFORMED);
    }

    @Test
    void detachedSignatureAsPkcs7MimeIsMalformed() throws Exception {
        SignedMailBuilder builder = mailBy(signer);
        byte[] wire = builder.pkcs7Mime(builder.signature(builder.signedEntity(), false));

        assertRejected(verify(wire), RejectionReason.SMIME_MALFORMED);
    }

    @Test
    void readTrustAnchorsReadsEveryPemCertificate() throws Exception {
        Path file = pemFile(root.certificate(), otherRoot.certificate());

        List<X509Certificate> anchors = SmimeCheck.readTrustAnchors(file);

        assertThat(anchors).containsExactly(root.certificate(), otherRoot.certificate());
    }

    @Test
    void anchorsReadFromFileVerifyMail() throws Exception {
        SmimeCheck fromFile = new SmimeCheck(SmimeCheck.readTrustAnchors(pemFile(otherRoot.certificate(),
            root.certificate())));

        assertAuthentic(verify(fromFile, mailBy(signer).pkcs7Mime(), CA_ADDRESS));
    }

    @Test
    void readTrustAnchorsReadsDer() throws Exception {
        Path file = folder.resolve("root.der");
        Files.write(file, root.certificate().getEncoded());

        assertThat(SmimeCheck.readTrustAnchors(file)).containsExactly(root.certificate());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not a certificate\n"})
    void readTrustAnchorsRejectsFileWithoutCertificate(String content) throws Exception {
        Path file = folder.resolve("anchors.pem");
        Files.writeString(file, content);

        assertThatThrownBy(() -> SmimeCheck.readTrustAnchors(file))
            .isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining(file.toString());
    }

    @Test
    void readTrustAnchorsRejectsMissingFile() {
        Path file = folder.resolve("absent.pem");

        assertThatThrownBy(() -> SmimeCheck.readTrustAnchors(file))
            .isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining(file.toString());
    }
}
