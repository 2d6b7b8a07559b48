package io.jamesacme.testca;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Self-signed test root of the CA. The key and certificate persist in the state directory as
 * PEM files, so a restarted CA keeps the same trust anchor. A PKCS#12 trust store with the
 * root certificate is written next to them for clients.
 */
final class RootAuthority {

    static final String TRUST_STORE_TYPE = "PKCS12";
    /** Password of the trust store, which contains only a public certificate. */
    static final String TRUST_STORE_PASSWORD = "changeit";

    private static final Logger LOG = LoggerFactory.getLogger(RootAuthority.class);
    private static final String KEY_FILE = "root-ca-key.pem";
    private static final String CERTIFICATE_FILE = "root-ca.pem";
    private static final String TRUST_STORE_FILE = "truststore.p12";
    private static final Duration ROOT_VALIDITY = Duration.ofDays(3650);

    private final PrivateKey privateKey;
    private final X509Certificate certificate;
    private final Path certificatePem;
    private final Path trustStore;

    private RootAuthority(PrivateKey privateKey, X509Certificate certificate, Path certificatePem,
            Path trustStore) {
        this.privateKey = privateKey;
        this.certificate = certificate;
        this.certificatePem = certificatePem;
        this.trustStore = trustStore;
    }

    /**
     * Loads the root from {@code stateDirectory}, or generates and stores a new one if neither
     * file exists, then rewrites the trust store.
     *
     * @throws IOException if only one of the two files exists, or a file cannot be read or
     *     written
     */
    static RootAuthority loadOrCreate(Path stateDirectory)
            throws IOException, GeneralSecurityException {
        Files.createDirectories(stateDirectory);
        Path keyFile = stateDirectory.resolve(KEY_FILE);
        Path certificateFile = stateDirectory.resolve(CERTIFICATE_FILE);
        boolean keyExists = Files.exists(keyFile);
        boolean certificateExists = Files.exists(certificateFile);
        PrivateKey key;
        X509Certificate certificate;
        if (keyExists && certificateExists) {
            key = PemFiles.readPrivateKey(keyFile);
            certificate = PemFiles.readCertificate(certificateFile);
            LOG.info("Loaded test root '{}' from {}", certificate.getSubjectX500Principal(),
                    stateDirectory);
        } else if (!keyExists && !certificateExists) {
            KeyPair keyPair = CertificateSupport.generateRsaKeyPair(2048);
            key = keyPair.getPrivate();
            certificate = createRootCertificate(keyPair);
            PemFiles.writeOwnerOnly(keyFile, PemFiles.toPem(key));
            PemFiles.writeWorldReadable(certificateFile,
                    PemFiles.toPem(certificate).getBytes(StandardCharsets.US_ASCII));
            LOG.info("Generated test root '{}' in {}", certificate.getSubjectX500Principal(),
                    stateDirectory);
        } else {
            Path missing = keyExists ? certificateFile : keyFile;
            throw new IOException("Incomplete test root in " + stateDirectory + ": " + missing
                    + " is missing. Restore it, or delete " + KEY_FILE + " and "
                    + CERTIFICATE_FILE + " to generate a new root.");
        }
        Path trustStore = stateDirectory.resolve(TRUST_STORE_FILE);
        writeTrustStore(trustStore, certificate);
        return new RootAuthority(key, certificate, certificateFile, trustStore);
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    X509Certificate certificate() {
        return certificate;
    }

    Path certificatePem() {
        return certificatePem;
    }

    Path trustStore() {
        return trustStore;
    }

    private static X509Certificate createRootCertificate(KeyPair keyPair)
            throws GeneralSecurityException, IOException {
        X500Name subject = new X500Name("CN=james-acme-smime Test Root "
                + Long.toHexString(System.currentTimeMillis()) + ",O=james-acme-smime test CA");
        return createSelfSigned(keyPair, subject);
    }

    /** Creates a self-signed CA certificate valid for 10 years, also used for untrusted roots. */
    static X509Certificate createSelfSigned(KeyPair keyPair, X500Name subject)
            throws GeneralSecurityException, IOException {
        Instant now = Instant.now();
        BigInteger serial = CertificateSupport.randomSerial();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(ROOT_VALIDITY)),
                subject, keyPair.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        builder.addExtension(Extension.subjectKeyIdentifier, false,
                extensions.createSubjectKeyIdentifier(keyPair.getPublic()));
        try {
            X509CertificateHolder holder =
                    builder.build(CertificateSupport.signer(keyPair.getPrivate()));
            return CertificateSupport.toX509(holder);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("Signing the root certificate " + subject
                    + " failed", e);
        }
    }

    private static void writeTrustStore(Path file, X509Certificate certificate)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(TRUST_STORE_TYPE);
        store.load(null, null);
        store.setCertificateEntry("james-acme-smime-test-root", certificate);
        Path temporary = Files.createTempFile(file.getParent(), TRUST_STORE_FILE, ".tmp");
        try (OutputStream out = Files.newOutputStream(temporary)) {
            store.store(out, TRUST_STORE_PASSWORD.toCharArray());
        }
        PemFiles.makeWorldReadable(temporary);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }
}
