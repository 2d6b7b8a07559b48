package io.jamesacme.testca;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.james.jdkim.DKIMSigner;
import org.apache.james.jdkim.exceptions.FailException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's RSA-2048 DKIM key (RFC 6376) with the selector {@code acme}. The key persists in the
 * state directory, and a key records file next to it lists the DNS TXT record that publishes
 * it, for verifiers that take keys from a file instead of DNS. Signatures are made by jDKIM,
 * the library James uses to verify them.
 */
final class DkimKey {

    static final String SELECTOR = "acme";
    static final String KEY_FILE = "dkim-key.pem";
    static final String RECORDS_FILE = "dkim-key-records.txt";

    private static final Logger LOG = LoggerFactory.getLogger(DkimKey.class);
    /** Lower-case header field names as h= lists them; letters, digits and hyphens only. */
    private static final Pattern HEADER_LIST = Pattern.compile("[a-z0-9-]+(:[a-z0-9-]+)*");
    private static final Pattern DOMAIN =
            Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");

    private final KeyPair keyPair;
    private final String domain;
    private final Path recordsFile;

    private DkimKey(KeyPair keyPair, String domain, Path recordsFile) {
        this.keyPair = keyPair;
        this.domain = domain;
        this.recordsFile = recordsFile;
    }

    /**
     * Loads the key from {@code stateDirectory} or generates and stores a new one, then rewrites
     * the key records file for {@code domain}.
     */
    static DkimKey loadOrCreate(Path stateDirectory, String domain)
            throws IOException, GeneralSecurityException {
        requireDomain(domain);
        Path keyFile = stateDirectory.resolve(KEY_FILE);
        KeyPair keyPair;
        if (Files.exists(keyFile)) {
            keyPair = PemFiles.readRsaKeyPair(keyFile);
            LOG.info("Loaded the DKIM key from {}", keyFile);
        } else {
            keyPair = CertificateSupport.generateRsaKeyPair(2048);
            PemFiles.writeOwnerOnly(keyFile, PemFiles.toPem(keyPair.getPrivate()));
            LOG.info("Generated a DKIM key in {}", keyFile);
        }
        DkimKey key = new DkimKey(keyPair, domain.toLowerCase(Locale.ROOT),
                stateDirectory.resolve(RECORDS_FILE));
        key.writeRecordsFile();
        return key;
    }

    /** Returns the TXT record value {@code v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>}. */
    String keyRecord() {
        return "v=DKIM1; k=rsa; p="
                + Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
    }

    /** Returns the DNS name of the key record, {@code acme._domainkey.<domain>}. */
    String recordName() {
        return SELECTOR + "._domainkey." + domain;
    }

    String domain() {
        return domain;
    }

    Path recordsFile() {
        return recordsFile;
    }

    /**
     * Signs {@code rawMessage} with rsa-sha256 and relaxed/relaxed canonicalization.
     *
     * @param signingDomain the d= value; the key record is only published for {@link #domain()}
     * @param signedHeaders the h= value, colon-separated header field names
     * @return the DKIM-Signature header field followed by the unchanged message
     * @throws IllegalArgumentException if the domain or the header list is malformed, or if
     *     jDKIM cannot parse the message
     */
    byte[] sign(byte[] rawMessage, String signingDomain, String signedHeaders) {
        requireDomain(signingDomain);
        String headers = signedHeaders.toLowerCase(Locale.ROOT);
        if (!HEADER_LIST.matcher(headers).matches()) {
            throw new IllegalArgumentException("Invalid signed header list '" + signedHeaders
                    + "': expected header field names separated by colons");
        }
        // jDKIM fills in bh= and b=; the other tags come from this template.
        String template = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + signingDomain
                + "; s=" + SELECTOR + "; h=" + headers + "; bh=; b=;";
        String signatureField;
        try {
            signatureField = new DKIMSigner(template, keyPair.getPrivate())
                    .sign(new ByteArrayInputStream(rawMessage));
        } catch (FailException | IOException e) {
            throw new IllegalArgumentException("DKIM signing failed: " + e.getMessage(), e);
        }
        byte[] field = (signatureField + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] signed = new byte[field.length + rawMessage.length];
        System.arraycopy(field, 0, signed, 0, field.length);
        System.arraycopy(rawMessage, 0, signed, field.length, rawMessage.length);
        return signed;
    }

    private void writeRecordsFile() throws IOException {
        String text = "# DKIM key records of the james-acme-smime test CA: one record a line,\n"
                + "# the DNS name of the TXT record, a space, then the TXT value.\n"
                + recordName() + " " + keyRecord() + "\n";
        PemFiles.writeWorldReadable(recordsFile, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static void requireDomain(String domain) {
        if (domain == null || !DOMAIN.matcher(domain).matches()) {
            throw new IllegalArgumentException("Invalid DKIM signing domain '" + domain
                    + "': expected a DNS domain name");
        }
    }
}
