package io.jamesacme.testca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys and certificates that the CA signs challenge mails with, one per {@link SmimeSigner}.
 * The {@link SmimeSigner#CA} identity persists in the state directory and is issued again when
 * the root, the CA address or its validity no longer fit. The others exist only to build bad
 * mails in tests, so they are created in memory on first use.
 */
final class SmimeSignerCertificates {

    /** Private key and certificate of one signer. */
    record Identity(PrivateKey privateKey, X509Certificate certificate) {
    }

    static final String KEY_FILE = "smime-signer-key.pem";
    static final String CERTIFICATE_FILE = "smime-signer.pem";

    private static final Logger LOG = LoggerFactory.getLogger(SmimeSignerCertificates.class);
    private static final int RFC822_NAME = 1;

    private final RootAuthority root;
    private final String caAddress;
    private final Identity caIdentity;
    /** The other signers, created on first use; guarded by {@code this}. */
    private final Map<SmimeSigner, Identity> badIdentities = new EnumMap<>(SmimeSigner.class);

    private SmimeSignerCertificates(RootAuthority root, String caAddress, Identity caIdentity) {
        this.root = root;
        this.caAddress = caAddress;
        this.caIdentity = caIdentity;
    }

    /**
     * Loads the CA's signing identity from {@code stateDirectory}, or issues a new one from
     * {@code root} for {@code caAddress} and stores it.
     */
    static SmimeSignerCertificates loadOrCreate(Path stateDirectory, RootAuthority root,
            String caAddress) throws IOException, GeneralSecurityException {
        Path keyFile = stateDirectory.resolve(KEY_FILE);
        Path certificateFile = stateDirectory.resolve(CERTIFICATE_FILE);
        if (Files.exists(keyFile) && Files.exists(certificateFile)) {
            Identity stored = new Identity(PemFiles.readPrivateKey(keyFile),
                    PemFiles.readCertificate(certificateFile));
            if (fits(stored.certificate(), root, caAddress)) {
                LOG.info("Loaded the S/MIME signing certificate '{}' from {}",
                        stored.certificate().getSubjectX500Principal(), certificateFile);
                return new SmimeSignerCertificates(root, caAddress, stored);
            }
            LOG.info("The S/MIME signing certificate in {} does not match the test root and {}; "
                    + "issuing a new one", certificateFile, caAddress);
        }
        Instant now = Instant.now();
        Identity issued = issue(root.privateKey(), root.certificate(), caAddress,
                now.minus(Duration.ofMinutes(5)), root.certificate().getNotAfter().toInstant());
        PemFiles.writeOwnerOnly(keyFile, PemFiles.toPem(issued.privateKey()));
        PemFiles.writeWorldReadable(certificateFile,
                PemFiles.toPem(issued.certificate()).getBytes(StandardCharsets.US_ASCII));
        LOG.info("Issued the S/MIME signing certificate '{}' for {} in {}",
                issued.certificate().getSubjectX500Principal(), caAddress, certificateFile);
        return new SmimeSignerCertificates(root, caAddress, issued);
    }

    X509Certificate caCertificate() {
        return caIdentity.certificate();
    }

    /** Returns the identity of {@code signer}, creating it on first use. */
    synchronized Identity identity(SmimeSigner signer) throws GeneralSecurityException {
        if (signer == SmimeSigner.CA) {
            return caIdentity;
        }
        Identity identity = badIdentities.get(signer);
        if (identity == null) {
            identity = create(signer);
            badIdentities.put(signer, identity);
        }
        return identity;
    }

    private Identity create(SmimeSigner signer) throws GeneralSecurityException {
        Instant now = Instant.now();
        Instant notAfter = root.certificate().getNotAfter().toInstant();
        try {
            return switch (signer) {
                case CA -> caIdentity;
                case EXPIRED -> issue(root.privateKey(), root.certificate(), caAddress,
                        now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
                case OTHER_ADDRESS -> issue(root.privateKey(), root.certificate(),
                        "someone-else@" + caAddress.substring(caAddress.lastIndexOf('@') + 1),
                        now.minus(Duration.ofMinutes(5)),
                        notAfter);
                case UNTRUSTED -> {
                    KeyPair untrustedRootKey = CertificateSupport.generateRsaKeyPair(2048);
                    X509Certificate untrustedRoot = RootAuthority.createSelfSigned(
                            untrustedRootKey, new X500Name("CN=james-acme-smime Untrusted Root "
                                    + Long.toHexString(now.toEpochMilli())
                                    + ",O=james-acme-smime test CA"));
                    yield issue(untrustedRootKey.getPrivate(), untrustedRoot, caAddress,
                            now.minus(Duration.ofMinutes(5)),
                            untrustedRoot.getNotAfter().toInstant());
                }
            };
        } catch (IOException e) {
            throw new GeneralSecurityException("Creating the " + signer + " signing certificate "
                    + "failed", e);
        }
    }

    /** Returns true if the root signed {@code certificate}, it is valid and names the address. */
    private static boolean fits(X509Certificate certificate, RootAuthority root, String address)
            throws GeneralSecurityException {
        try {
            certificate.verify(root.certificate().getPublicKey());
            certificate.checkValidity();
        } catch (GeneralSecurityException e) {
            return false;
        }
        Collection<List<?>> names = certificate.getSubjectAlternativeNames();
        return names != null && names.size() == 1
                && names.iterator().next().equals(List.of(RFC822_NAME, address));
    }

    private static Identity issue(PrivateKey issuerKey, X509Certificate issuer, String address,
            Instant notBefore, Instant notAfter) throws GeneralSecurityException, IOException {
        KeyPair keyPair = CertificateSupport.generateRsaKeyPair(2048);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, address).addRDN(BCStyle.O, "james-acme-smime test CA")
                .build();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                new JcaX509CertificateHolder(issuer).getSubject(),
                CertificateSupport.randomSerial(), Date.from(notBefore), Date.from(notAfter),
                subject, keyPair.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.rfc822Name, address)));
        builder.addExtension(Extension.subjectKeyIdentifier, false,
                extensions.createSubjectKeyIdentifier(keyPair.getPublic()));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                extensions.createAuthorityKeyIdentifier(issuer));
        try {
            X509Certificate certificate = CertificateSupport.toX509(
                    builder.build(CertificateSupport.signer(issuerKey)));
            return new Identity(keyPair.getPrivate(), certificate);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("Signing the S/MIME signing certificate for "
                    + address + " failed", e);
        }
    }
}
