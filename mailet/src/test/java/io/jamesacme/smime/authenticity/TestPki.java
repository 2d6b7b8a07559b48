package io.jamesacme.smime.authenticity;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Test certificate authorities and S/MIME signer certificates, issued with Bouncy Castle and
 * EC P-256 keys. Bouncy Castle is a private provider instance, never registered with the JVM.
 */
final class TestPki {
    static final Provider BC = new BouncyCastleProvider();
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private TestPki() {
    }

    /** A certificate with its key pair. */
    record Credential(X509Certificate certificate, KeyPair keyPair) {
    }

    /** What a signer certificate carries, so that each test can break one property. */
    record SignerProfile(List<String> addresses, Instant notBefore, Instant notAfter,
                         List<KeyPurposeId> extendedKeyUsages, int keyUsage) {

        static SignerProfile forAddress(String address) {
            Instant now = Instant.now();
            return new SignerProfile(List.of(address), now.minus(Duration.ofHours(1)),
                now.plus(Duration.ofDays(30)), List.of(KeyPurposeId.id_kp_emailProtection),
                KeyUsage.digitalSignature | KeyUsage.keyEncipherment);
        }

        SignerProfile withAddresses(String... values) {
            return new SignerProfile(List.of(values), notBefore, notAfter, extendedKeyUsages, keyUsage);
        }

        SignerProfile withValidity(Instant from, Instant to) {
            return new SignerProfile(addresses, from, to, extendedKeyUsages, keyUsage);
        }

        SignerProfile withExtendedKeyUsages(KeyPurposeId... usages) {
            return new SignerProfile(addresses, notBefore, notAfter, List.of(usages), keyUsage);
        }

        /** Sets the key usage bits; 0 leaves the extension out. */
        SignerProfile withKeyUsage(int bits) {
            return new SignerProfile(addresses, notBefore, notAfter, extendedKeyUsages, bits);
        }
    }

    static KeyPair newKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    /** Issues a self-signed root CA certificate. */
    static Credential root(String commonName) throws Exception {
        KeyPair keyPair = newKeyPair();
        X500Name name = new X500Name("CN=" + commonName);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, nextSerial(),
            Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), name,
            keyPair.getPublic());
        addCaExtensions(builder);
        return new Credential(sign(builder, keyPair), keyPair);
    }

    /** Issues an intermediate CA certificate under {@code issuer}. */
    static Credential intermediate(Credential issuer, String commonName) throws Exception {
        KeyPair keyPair = newKeyPair();
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer.certificate(),
            nextSerial(), Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(90))),
            new X500Name("CN=" + commonName), keyPair.getPublic());
        addCaExtensions(builder);
        return new Credential(sign(builder, issuer.keyPair()), keyPair);
    }

    /** Issues an end-entity S/MIME certificate under {@code issuer}. */
    static Credential signer(Credential issuer, SignerProfile profile) throws Exception {
        KeyPair keyPair = newKeyPair();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer.certificate(),
            nextSerial(), Date.from(profile.notBefore()), Date.from(profile.notAfter()),
            new X500Name("CN=" + profile.addresses().get(0)), keyPair.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        if (profile.keyUsage() != 0) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(profile.keyUsage()));
        }
        GeneralName[] names = profile.addresses().stream()
            .map(address -> new GeneralName(GeneralName.rfc822Name, address))
            .toArray(GeneralName[]::new);
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        if (!profile.extendedKeyUsages().isEmpty()) {
            builder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(profile.extendedKeyUsages().toArray(KeyPurposeId[]::new)));
        }
        return new Credential(sign(builder, issuer.keyPair()), keyPair);
    }

    private static void addCaExtensions(X509v3CertificateBuilder builder) throws Exception {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuerKey)
            throws Exception {
        return new JcaX509CertificateConverter().getCertificate(builder.build(
            new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC).build(issuerKey.getPrivate())));
    }

    private static BigInteger nextSerial() {
        return BigInteger.valueOf(SERIALS.incrementAndGet());
    }
}
