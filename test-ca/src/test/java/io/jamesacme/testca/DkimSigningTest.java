package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DKIM-signed challenge mails and the DKIM building blocks, verified with jDKIM. */
class DkimSigningTest {

    @TempDir
    static Path stateDirectory;

    private static MailFixture mail;
    private static TestCa ca;

    @BeforeAll
    static void startCa() throws Exception {
        mail = new MailFixture();
        ca = mail.startCa(stateDirectory, builder -> builder
                .challengeSigning(ChallengeSigning.DKIM)
                .challengeMailDelay(Duration.ZERO));
    }

    @AfterAll
    static void stopCa() {
        ca.close();
        mail.close();
    }

    private static byte[] receivedChallenge(String address) throws Exception {
        ChallengeOrders.place(ca, address);
        return MailFixture.bytes(mail.awaitChallengeMail(address, Duration.ofSeconds(10)));
    }

    private static byte[] unsignedChallenge(String address) throws Exception {
        ChallengeOrders.place(ca, address);
        return ca.challengeMail(address, ChallengeSigning.UNSIGNED);
    }

    /** Replaces the first {@code target} after the header section, which must contain it. */
    private static byte[] changeBody(byte[] raw, String target, String replacement) {
        String text = new String(raw, StandardCharsets.US_ASCII);
        int bodyStart = text.indexOf("\r\n\r\n");
        int at = text.indexOf(target, bodyStart);
        assertThat(at).as("'" + target + "' in the body").isGreaterThan(bodyStart);
        return (text.substring(0, at) + replacement + text.substring(at + target.length()))
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] replaceHeader(byte[] raw, String oldLine, String newLine) {
        String text = new String(raw, StandardCharsets.US_ASCII);
        assertThat(text).contains(oldLine);
        return text.replace(oldLine, newLine).getBytes(StandardCharsets.US_ASCII);
    }

    private static String headerLine(byte[] raw, String name) {
        String text = new String(raw, StandardCharsets.US_ASCII);
        String header = text.substring(0, text.indexOf("\r\n\r\n"));
        return Arrays.stream(header.split("\r\n"))
                .filter(line -> line.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError("No " + name + " in " + header));
    }

    @Test
    void sentChallengeVerifies() throws Exception {
        byte[] received = receivedChallenge("dkim@example.test");

        List<SignatureRecord> signatures = DkimVerification.verify(ca, received);

        assertThat(signatures).hasSize(1);
        SignatureRecord signature = signatures.get(0);
        assertThat(signature.getDToken()).hasToString("ca.test");
        assertThat(signature.getSelector()).hasToString(TestCa.DKIM_SELECTOR);
        assertThat(signature.getHashKeyType()).hasToString("rsa");
        assertThat(signature.getHashMethod()).hasToString("sha256");
        assertThat(signature.getHeaderCanonicalisationMethod()).isEqualTo("relaxed");
        assertThat(signature.getBodyCanonicalisationMethod()).isEqualTo("relaxed");
        assertThat(signature.getHeaders()).map(CharSequence::toString).containsExactly(
                "from", "sender", "reply-to", "to", "cc", "subject", "date", "in-reply-to",
                "references", "message-id", "content-type", "content-transfer-encoding",
                "auto-submitted");
        assertThat(headerLine(received, "Message-ID")).matches("Message-ID: <.+@ca\\.test>");
        assertThat(headerLine(received, "Auto-Submitted")).contains("type=acme");
    }

    @Test
    void changedBodyFailsVerification() throws Exception {
        byte[] received = receivedChallenge("dkim-body@example.test");
        byte[] tampered = changeBody(received, "ignore this", "answer this");

        assertThatThrownBy(() -> DkimVerification.verify(ca, tampered))
                .isInstanceOf(PermFailException.class);
    }

    @Test
    void changedSignedHeaderFailsVerification() throws Exception {
        byte[] received = receivedChallenge("dkim-header@example.test");
        String from = headerLine(received, "From");
        byte[] tampered = replaceHeader(received, from + "\r\n", "From: mallory@ca.test\r\n");
        byte[] addedReplyTo = replaceHeader(received, from + "\r\n",
                from + "\r\nReply-To: mallory@example.test\r\n");

        assertThatThrownBy(() -> DkimVerification.verify(ca, tampered))
                .isInstanceOf(PermFailException.class);
        assertThatThrownBy(() -> DkimVerification.verify(ca, addedReplyTo))
                .isInstanceOf(PermFailException.class);
    }

    @Test
    void customHeaderListLeavesOthersUnsigned() throws Exception {
        byte[] signed = ca.dkimSign(unsignedChallenge("dkim-list@example.test"), "from:to");
        String subject = headerLine(signed, "Subject");
        byte[] newSubject = replaceHeader(signed, subject, "Subject: ACME: other-token");

        List<SignatureRecord> signatures = DkimVerification.verify(ca, newSubject);

        assertThat(signatures).hasSize(1);
        assertThat(signatures.get(0).getHeaders()).map(CharSequence::toString)
                .containsExactly("from", "to");
    }

    @Test
    void defaultListMatchesChallengeMails() throws Exception {
        byte[] signed = ca.dkimSign(unsignedChallenge("dkim-default@example.test"));

        List<SignatureRecord> signatures = DkimVerification.verify(ca, signed);

        assertThat(signatures.get(0).getHeaders()).map(CharSequence::toString)
                .containsExactly(ChallengeMessages.DKIM_SIGNED_HEADERS.split(":"));
    }

    @Test
    void otherSigningDomainFindsNoKey() throws Exception {
        byte[] unsigned = unsignedChallenge("dkim-domain@example.test");
        byte[] signed = ca.dkimSignAs(unsigned, "other.test", "from:to:subject");

        assertThat(headerLine(signed, "DKIM-Signature")).contains("d=other.test;");
        assertThatThrownBy(() -> DkimVerification.verify(ca, signed))
                .isInstanceOf(PermFailException.class)
                .hasMessageContaining("no key");
    }

    @Test
    void unsignedMailHasNoSignature() throws Exception {
        assertThat(DkimVerification.verify(ca, unsignedChallenge("dkim-none@example.test")))
                .isNull();
    }

    @Test
    void malformedArgumentsAreRejected() throws Exception {
        byte[] unsigned = unsignedChallenge("dkim-args@example.test");

        assertThatThrownBy(() -> ca.dkimSign(unsigned, "from; subject"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("from; subject");
        assertThatThrownBy(() -> ca.dkimSignAs(unsigned, "bad domain", "from"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad domain");
    }

    @Test
    void keyRecordsFileListsRecord() throws Exception {
        assertThat(ca.dkimRecordName()).isEqualTo("acme._domainkey.ca.test");
        assertThat(ca.dkimKeyRecordsFile()).startsWith(stateDirectory).exists();
        List<String> records = Files.readAllLines(ca.dkimKeyRecordsFile()).stream()
                .filter(line -> !line.startsWith("#")).toList();
        assertThat(records).containsExactly(ca.dkimRecordName() + " " + ca.dkimKeyRecord());

        String record = ca.dkimKeyRecord();
        assertThat(record).startsWith("v=DKIM1; k=rsa; p=");
        byte[] publicKey = Base64.getDecoder().decode(record.substring(record.indexOf("p=") + 2));
        RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA")
                .generatePublic(new X509EncodedKeySpec(publicKey));
        assertThat(key.getModulus().bitLength()).isEqualTo(2048);
    }

    @Test
    void restartKeepsKey(@TempDir Path otherState) throws Exception {
        String first;
        try (TestCa started = mail.startCa(otherState, builder -> builder)) {
            first = started.dkimKeyRecord();
        }
        try (TestCa restarted = mail.startCa(otherState, builder -> builder)) {
            assertThat(restarted.dkimKeyRecord()).isEqualTo(first);
        }
        assertThat(first).isNotEqualTo(ca.dkimKeyRecord());
    }
}
