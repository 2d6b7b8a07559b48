package io.jamesacme.testca;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Issues S/MIME end-entity certificates from the test root: subject CN and rfc822Name SANs of
 * the order's addresses, extended key usage emailProtection, and a key usage taken from the CSR
 * or derived from the key type.
 */
final class SmimeCertificateIssuer {

    private static final int MIN_RSA_BITS = 2048;

    private final RootAuthority root;
    private final Duration validity;

    SmimeCertificateIssuer(RootAuthority root, Duration validity) {
        this.root = root;
        this.validity = validity;
    }

    /**
     * Issues a certificate for a CSR that {@link CsrValidator} accepted.
     *
     * @param addresses the order's email identifiers, in order
     * @return the chain: end-entity certificate, then root
     * @throws AcmeProblem badCSR if the key or the requested key usage is not acceptable
     */
    List<X509Certificate> issue(JcaPKCS10CertificationRequest csr, List<String> addresses)
            throws AcmeProblem, GeneralSecurityException, IOException {
        PublicKey publicKey = csr.getPublicKey();
        KeyUsage keyUsage = keyUsage(CsrValidator.requestedExtensions(csr), publicKey);
        Instant now = Instant.now();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, addresses.get(0)).build();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                new JcaX509CertificateHolder(root.certificate()).getSubject(),
                CertificateSupport.randomSerial(), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(validity)), subject, publicKey);
        List<GeneralName> names = new ArrayList<>();
        addresses.forEach(address -> names.add(new GeneralName(GeneralName.rfc822Name, address)));
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, keyUsage);
        builder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(names.toArray(GeneralName[]::new)));
        builder.addExtension(Extension.subjectKeyIdentifier, false,
                extensions.createSubjectKeyIdentifier(publicKey));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                extensions.createAuthorityKeyIdentifier(root.certificate()));
        try {
            X509Certificate leaf = CertificateSupport.toX509(
                    builder.build(CertificateSupport.signer(root.privateKey())));
            return List.of(leaf, root.certificate());
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("Signing the S/MIME certificate failed", e);
        }
    }

    private static KeyUsage keyUsage(Extensions requested, PublicKey publicKey)
            throws AcmeProblem {
        String algorithm = publicKey.getAlgorithm();
        if (publicKey instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw AcmeProblem.badCsr("The CSR's RSA key has " + rsa.getModulus().bitLength()
                    + " bits; at least " + MIN_RSA_BITS + " are required");
        }
        KeyUsage fromCsr = requested == null ? null : KeyUsage.fromExtensions(requested);
        if (fromCsr != null) {
            if (fromCsr.hasUsages(KeyUsage.keyCertSign) || fromCsr.hasUsages(KeyUsage.cRLSign)) {
                throw AcmeProblem.badCsr("The CSR requests keyCertSign or cRLSign, which an "
                        + "S/MIME end-entity certificate must not have");
            }
            return fromCsr;
        }
        return switch (algorithm) {
            case "RSA" -> new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment);
            case "EC" -> new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement);
            case "Ed25519", "Ed448", "EdDSA" -> new KeyUsage(KeyUsage.digitalSignature);
            default -> throw AcmeProblem.badCsr("The CSR's key algorithm " + algorithm
                    + " is not supported; use RSA, EC or EdDSA");
        };
    }
}
