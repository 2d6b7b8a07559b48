package io.jamesacme.smime.certificate;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Issues a small CA and leaf chain for the PKCS#12 tests. */
final class TestCertificates {
    private TestCertificates() {
    }

    /** Returns {@code [leaf, ca]}, where the leaf certifies {@code leafKey}. */
    static List<X509Certificate> chain(KeyPair leafKey, String emailAddress) throws Exception {
        KeyPair caKey = CertificateKeyType.EC_P256.generateKeyPair();
        X500Name caName = new X500Name("CN=Test CA");
        X509Certificate ca = issue(caName, caName, caKey.getPublic(), caKey, true);
        X509Certificate leaf = issue(caName, new X500Name("CN=" + emailAddress),
            leafKey.getPublic(), caKey, false);
        return List.of(leaf, ca);
    }

    private static X509Certificate issue(X500Name issuer, X500Name subject, PublicKey subjectKey,
                                         KeyPair issuerKey, boolean isCa) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
            BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofMinutes(1))),
            Date.from(now.plus(Duration.ofDays(1))), subject, subjectKey);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        return new JcaX509CertificateConverter().getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
    }
}
