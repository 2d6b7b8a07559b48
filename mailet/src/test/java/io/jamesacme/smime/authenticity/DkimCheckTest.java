package io.jamesacme.smime.authenticity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.DKIMSigner;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;

import io.jamesacme.smime.rfc8823.RejectionReason;

class DkimCheckTest {
    private static final Session SESSION = Session.getInstance(new Properties());
    private static final String SELECTOR = "acme";
    private static final String CA_DOMAIN = "ca.test";
    private static final String ALL_REQUIRED = String.join(":", DkimCheck.REQUIRED_SIGNED_FIELDS);
    private static final String BODY = "This is an ACME challenge.\r\n";

    private static KeyPair caKey;
    private static String caKeyRecord;

    @TempDir
    Path folder;

    @BeforeAll
    static void generateKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        caKey = generator.generateKeyPair();
        caKeyRecord = "v=DKIM1; k=rsa; p="
            + Base64.getEncoder().encodeToString(caKey.getPublic().getEncoded());
    }

    /** Returns a challenge mail in wire form, CRLF line ends, From the given address. */
    private static String unsignedMail(String from) {
        return String.join("\r\n",
            "From: ACME CA <" + from + ">",
            "To: alice@example.test",
            "Subject: ACME: aGVsbG8td29ybGQtdG9rZW4tcGFydC0x",
            "Date: Tue, 02 Jan 2024 10:00:00 +0000",
            "Message-ID: <challenge-1@ca.test>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
            "Content-Transfer-Encoding: 7bit",
            "",
            BODY);
    }

    /** Prepends a DKIM-Signature made by jDKIM with the given tags and the CA's key. */
    private static String sign(String mail, String domain, String signedHeaders, String extraTags)
            throws Exception {
        String template = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + domain + "; s=" + SELECTOR
            + "; h=" + signedHeaders + "; " + extraTags + "bh=; b=;";
        DKIMSigner signer = new DKIMSigner(template, caKey.getPrivate());
        String field = signer.sign(new ByteArrayInputStream(mail.getBytes(StandardCharsets.US_ASCII)));
        return field + "\r\n" + mail;
    }

    private static String signedByCa(String from) throws Exception {
        return sign(unsignedMail(from), CA_DOMAIN, ALL_REQUIRED, "");
    }

    /** Parses the wire form into a MimeMessage, as James does with a received mail. */
    private static MimeMessage received(String wire) throws Exception {
        return new MimeMessage(SESSION, new ByteArrayInputStream(wire.getBytes(StandardCharsets.US_ASCII)));
    }

    private static PublicKeyRecordRetriever keys(String name, String record) {
        return (method, selector, domain) -> {
            String requested = (selector + "._domainkey." + domain).toLowerCase();
            if (!requested.equals(name)) {
                throw new PermFailException("no key record at " + requested);
            }
            return List.of(record);
        };
    }

    private static PublicKeyRecordRetriever caKeys() {
        return keys(SELECTOR + "._domainkey." + CA_DOMAIN, caKeyRecord);
    }

    private static Verdict check(PublicKeyRecordRetriever keys, String wire, String from)
            throws Exception {
        return new DkimCheck(keys).check(received(wire), new InternetAddress(from), Optional.empty());
    }

    private static void assertRejected(Verdict verdict, RejectionReason reason) {
        assertThat(verdict.isAuthentic()).as(verdict.detail()).isFalse();
        assertThat(verdict.reason()).as(verdict.detail()).contains(reason);
    }

    @Test
    void signatureOfFromDomainIsAuthentic() throws Exception {
        Verdict verdict = check(caKeys(), signedByCa("acme-ca@ca.test"), "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
        assertThat(verdict.method()).contains(AuthenticityMethod.DKIM);
        assertThat(verdict.reason()).isEmpty();
        assertThat(verdict.detail()).contains("ca.test").contains(SELECTOR);
    }

    @Test
    void mailInJamesWrapperIsAuthentic() throws Exception {
        byte[] wire = signedByCa("acme-ca@ca.test").getBytes(StandardCharsets.US_ASCII);
        MimeMessageWrapper held = new MimeMessageWrapper(
            MimeMessageInputStreamSource.create("dkim-test", new ByteArrayInputStream(wire)));
        try {
            Verdict verdict = new DkimCheck(caKeys()).check(held, new InternetAddress("acme-ca@ca.test"),
                Optional.empty());

            assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
        } finally {
            held.dispose();
        }
    }

    @Test
    void methodIsDkim() {
        assertThat(new DkimCheck(caKeys()).method()).isEqualTo(AuthenticityMethod.DKIM);
    }

    @Test
    void requiredFieldsAreThoseOfRfc8823() {
        assertThat(DkimCheck.REQUIRED_SIGNED_FIELDS).containsExactlyInAnyOrder("from", "sender",
            "reply-to", "to", "cc", "subject", "date", "in-reply-to", "references", "message-id",
            "content-type", "content-transfer-encoding");
    }

    @Test
    void fromDomainInOtherCaseIsAuthentic() throws Exception {
        String wire = signedByCa("acme-ca@CA.Test");

        Verdict verdict = check(caKeys(), wire, "acme-ca@CA.Test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void signingDomainInOtherCaseIsAuthentic() throws Exception {
        String wire = sign(unsignedMail("acme-ca@ca.test"), "CA.TEST", ALL_REQUIRED, "");

        Verdict verdict = check(caKeys(), wire, "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void keyFromKeyFileVerifies() throws Exception {
        Path file = folder.resolve("dkim-keys.txt");
        Files.writeString(file, "# lab keys\nacme._domainkey.ca.test " + caKeyRecord + "\n");

        Verdict verdict = check(DkimKeyRecords.file(file), signedByCa("acme-ca@ca.test"),
            "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void keyFromJamesDnsServiceVerifies() throws Exception {
        // DNSJavaService hands out TXTRecord.rdataToString(): the record split into quoted
        // strings of at most 255 characters, as a 2048-bit key must be published.
        List<String> strings = new ArrayList<>();
        for (int start = 0; start < caKeyRecord.length(); start += 255) {
            strings.add(caKeyRecord.substring(start, Math.min(caKeyRecord.length(), start + 255)));
        }
        String zoneForm = new TXTRecord(Name.fromString("acme._domainkey.ca.test."), DClass.IN, 300,
            strings).rdataToString();
        FakeDnsService dns = new FakeDnsService(name -> name.equals("acme._domainkey.ca.test")
            ? List.of(zoneForm) : List.of());

        Verdict verdict = check(DkimKeyRecords.dns(dns), signedByCa("acme-ca@ca.test"),
            "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void keyMissingFromDnsFails() throws Exception {
        Verdict verdict = check(DkimKeyRecords.dns(new FakeDnsService(name -> List.of())),
            signedByCa("acme-ca@ca.test"), "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_FAIL);
    }

    @Test
    void failingDnsIsTempError() throws Exception {
        FakeDnsService dns = new FakeDnsService(name -> {
            throw new IllegalStateException("resolver timed out");
        });

        Verdict verdict = check(DkimKeyRecords.dns(dns), signedByCa("acme-ca@ca.test"),
            "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_TEMPERROR);
    }

    @Test
    void unsignedMailIsRejectedAsNone() throws Exception {
        Verdict verdict = check(caKeys(), unsignedMail("acme-ca@ca.test"), "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_NONE);
    }

    @Test
    void changedBodyFails() throws Exception {
        String wire = signedByCa("acme-ca@ca.test").replace("ACME challenge.", "ACME challenge!");

        assertRejected(check(caKeys(), wire, "acme-ca@ca.test"), RejectionReason.DKIM_FAIL);
    }

    @Test
    void changedSignedHeaderFails() throws Exception {
        String wire = signedByCa("acme-ca@ca.test").replace("To: alice@example.test",
            "To: mallory@evil.test");

        assertRejected(check(caKeys(), wire, "acme-ca@ca.test"), RejectionReason.DKIM_FAIL);
    }

    @Test
    void addedReplyToFails() throws Exception {
        String signed = signedByCa("acme-ca@ca.test");
        int bodyStart = signed.indexOf("\r\n\r\n");
        String wire = signed.substring(0, bodyStart) + "\r\nReply-To: mallory@evil.test"
            + signed.substring(bodyStart);

        assertRejected(check(caKeys(), wire, "acme-ca@ca.test"), RejectionReason.DKIM_FAIL);
    }

    @Test
    void temporaryKeyLookupFailureIsTempError() throws Exception {
        Path file = folder.resolve("dkim-keys.txt");
        Files.writeString(file, "acme._domainkey.ca.test " + DkimKeyRecords.TEMPORARY_FAILURE + "\n");

        Verdict verdict = check(DkimKeyRecords.file(file), signedByCa("acme-ca@ca.test"),
            "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_TEMPERROR);
    }

    @Test
    void missingKeyFails() throws Exception {
        Path file = folder.resolve("dkim-keys.txt");
        Files.writeString(file, "other._domainkey.ca.test " + caKeyRecord + "\n");

        Verdict verdict = check(DkimKeyRecords.file(file), signedByCa("acme-ca@ca.test"),
            "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_FAIL);
    }

    @Test
    void keyOfOtherPairFails() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        String otherRecord = "v=DKIM1; k=rsa; p="
            + Base64.getEncoder().encodeToString(generator.generateKeyPair().getPublic().getEncoded());

        Verdict verdict = check(keys("acme._domainkey.ca.test", otherRecord),
            signedByCa("acme-ca@ca.test"), "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_FAIL);
    }

    @Test
    void signatureOfOtherDomainIsMismatch() throws Exception {
        String wire = sign(unsignedMail("acme-ca@ca.test"), "other.test", ALL_REQUIRED, "");

        Verdict verdict = check(keys("acme._domainkey.other.test", caKeyRecord), wire, "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_DOMAIN_MISMATCH);
        assertThat(verdict.detail()).contains("other.test").contains("ca.test");
    }

    @Test
    void signatureOfParentDomainIsMismatch() throws Exception {
        String wire = sign(unsignedMail("acme-ca@mail.ca.test"), CA_DOMAIN, ALL_REQUIRED, "");

        assertRejected(check(caKeys(), wire, "acme-ca@mail.ca.test"),
            RejectionReason.DKIM_DOMAIN_MISMATCH);
    }

    @Test
    void unsignedToAndMessageIdAreRejected() throws Exception {
        List<String> fields = new ArrayList<>(DkimCheck.REQUIRED_SIGNED_FIELDS);
        fields.remove("to");
        fields.remove("message-id");
        String wire = sign(unsignedMail("acme-ca@ca.test"), CA_DOMAIN, String.join(":", fields), "");

        Verdict verdict = check(caKeys(), wire, "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_HEADERS_UNSIGNED);
        assertThat(verdict.detail()).contains("to").contains("message-id");
        assertThat(verdict.detail()).doesNotContain("subject");
    }

    @Test
    void fromAndSubjectOnlyAreRejected() throws Exception {
        String wire = sign(unsignedMail("acme-ca@ca.test"), CA_DOMAIN, "from:subject", "");

        assertRejected(check(caKeys(), wire, "acme-ca@ca.test"), RejectionReason.DKIM_HEADERS_UNSIGNED);
    }

    @Test
    void signedFieldNamesInUpperCaseCount() throws Exception {
        String wire = sign(unsignedMail("acme-ca@ca.test"), CA_DOMAIN, ALL_REQUIRED.toUpperCase(), "");

        Verdict verdict = check(caKeys(), wire, "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void bodyLengthTagIsRejected() throws Exception {
        String wire = sign(unsignedMail("acme-ca@ca.test"), CA_DOMAIN, ALL_REQUIRED, "l=10; ");

        Verdict verdict = check(caKeys(), wire, "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_BODY_LENGTH_LIMIT);
        assertThat(verdict.detail()).contains("10");
    }

    @Test
    void rsaSha1SignatureFails() throws Exception {
        String template = "v=1; a=rsa-sha1; c=relaxed/relaxed; d=ca.test; s=acme; h=" + ALL_REQUIRED
            + "; bh=; b=;";
        String mail = unsignedMail("acme-ca@ca.test");
        String field = new DKIMSigner(template, caKey.getPrivate())
            .sign(new ByteArrayInputStream(mail.getBytes(StandardCharsets.US_ASCII)));

        Verdict verdict = check(caKeys(), field + "\r\n" + mail, "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_FAIL);
        assertThat(verdict.detail()).contains("rsa-sha1");
    }

    @Test
    void keyOf512BitsFails() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(512);
        KeyPair weak = generator.generateKeyPair();
        String template = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=ca.test; s=acme; h=" + ALL_REQUIRED
            + "; bh=; b=;";
        String mail = unsignedMail("acme-ca@ca.test");
        String field = new DKIMSigner(template, weak.getPrivate())
            .sign(new ByteArrayInputStream(mail.getBytes(StandardCharsets.US_ASCII)));
        String record = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(weak.getPublic().getEncoded());

        Verdict verdict = check(keys("acme._domainkey.ca.test", record), field + "\r\n" + mail,
            "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_FAIL);
        assertThat(verdict.detail()).contains("512 bits");
    }

    @Test
    void keyInTestingModeFails() throws Exception {
        String testing = caKeyRecord.replace("k=rsa;", "k=rsa; t=y;");

        Verdict verdict = check(keys("acme._domainkey.ca.test", testing),
            signedByCa("acme-ca@ca.test"), "acme-ca@ca.test");

        assertRejected(verdict, RejectionReason.DKIM_FAIL);
        assertThat(verdict.detail()).contains("t=y");
    }

    @Test
    void keyWithStrictFlagVerifies() throws Exception {
        String strict = caKeyRecord.replace("k=rsa;", "k=rsa; t=s;");

        Verdict verdict = check(keys("acme._domainkey.ca.test", strict),
            signedByCa("acme-ca@ca.test"), "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void usableKeyNextToWeakOneVerifies() throws Exception {
        String testing = caKeyRecord.replace("k=rsa;", "k=rsa; t=y;");
        PublicKeyRecordRetriever twoRecords = (method, selector, domain) -> List.of(testing, caKeyRecord);

        Verdict verdict = check(twoRecords, signedByCa("acme-ca@ca.test"), "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void fullSignatureNextToWeakOneIsAuthentic() throws Exception {
        String weak = sign(unsignedMail("acme-ca@ca.test"), CA_DOMAIN, "from:subject", "");
        String wire = sign(weak, CA_DOMAIN, ALL_REQUIRED + ":dkim-signature", "");

        Verdict verdict = check(caKeys(), wire, "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void fromDomainBesideOtherDomainIsAuthentic() throws Exception {
        String byOther = sign(unsignedMail("acme-ca@ca.test"), "other.test", ALL_REQUIRED, "");
        String wire = sign(byOther, CA_DOMAIN, ALL_REQUIRED, "");
        PublicKeyRecordRetriever bothKeys = (method, selector, domain) -> List.of(caKeyRecord);

        Verdict verdict = check(bothKeys, wire, "acme-ca@ca.test");

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }
}
