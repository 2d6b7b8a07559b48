package io.jamesacme.smime.certificate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;

import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Builds the PKCS#10 certification request for an S/MIME certificate of one mailbox. The
 * request names the mailbox as its only subjectAltName (rfc822Name) and requests the key
 * usages of the key type (critical) and the emailProtection extended key usage.
 */
public final class CsrFactory {
    /** The upper bound ub-common-name of RFC 5280 for the commonName attribute. */
    static final int MAX_COMMON_NAME_LENGTH = 64;

    private CsrFactory() {
    }

    /**
     * Builds and signs the CSR, and returns it DER-encoded, the form the ACME finalize request
     * carries. The subject is {@code CN=<emailAddress>}, unless the address is longer than
     * {@value #MAX_COMMON_NAME_LENGTH} characters: then the subject is empty and the
     * subjectAltName is marked critical, as RFC 5280 requires for an empty subject.
     *
     * @param keyPair the certificate key; its private key signs the request
     * @param emailAddress the bare mailbox address, for example {@code alice@example.com}
     * @param type the type of {@code keyPair}, which selects key usages and signature algorithm
     * @throws IllegalArgumentException if the address is not a bare ASCII mailbox address, or
     *     the key pair does not have the algorithm of {@code type}
     * @throws IllegalStateException if the JDK cannot sign with the signature algorithm
     */
    public static byte[] createCsr(KeyPair keyPair, String emailAddress, CertificateKeyType type) {
        String address = validateAddress(emailAddress);
        requireKeyType(keyPair, type);

        boolean emptySubject = address.length() > MAX_COMMON_NAME_LENGTH;
        X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
        if (!emptySubject) {
            subject.addRDN(BCStyle.CN, address);
        }
        X500Name subjectName = subject.build();

        JcaPKCS10CertificationRequestBuilder builder =
            new JcaPKCS10CertificationRequestBuilder(subjectName, keyPair.getPublic());
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            GeneralNames altNames = new GeneralNames(new GeneralName(GeneralName.rfc822Name, address));
            extensions.addExtension(Extension.subjectAlternativeName, emptySubject, altNames);
            extensions.addExtension(Extension.keyUsage, true, type.keyUsage());
            extensions.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection));
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
                extensions.generate());

            ContentSigner signer = new JcaContentSignerBuilder(type.signatureAlgorithm())
                .build(keyPair.getPrivate());
            PKCS10CertificationRequest request = builder.build(signer);
            return request.getEncoded();
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("Failed to sign the CSR with "
                + type.signatureAlgorithm() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to encode the CSR for " + address, e);
        }
    }

    /**
     * Returns the address when it is a bare addr-spec with a local part and a domain. The
     * rfc822Name of RFC 5280 is an IA5String, so a non-ASCII (SMTPUTF8) address is rejected.
     */
    private static String validateAddress(String emailAddress) {
        if (emailAddress == null || emailAddress.isBlank()) {
            throw new IllegalArgumentException("Invalid e-mail address: it is missing or blank");
        }
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(emailAddress)) {
            throw new IllegalArgumentException("Invalid e-mail address '" + emailAddress
                + "': an rfc822Name must be ASCII, and internationalized addresses are not supported");
        }
        InternetAddress parsed;
        try {
            parsed = new InternetAddress(emailAddress, true);
        } catch (AddressException e) {
            throw new IllegalArgumentException("Invalid e-mail address '" + emailAddress + "': "
                + e.getMessage(), e);
        }
        String bare = parsed.getAddress();
        int at = bare.lastIndexOf('@');
        if (parsed.isGroup() || parsed.getPersonal() != null || !bare.equals(emailAddress)
                || at <= 0 || at == bare.length() - 1) {
            throw new IllegalArgumentException("Invalid e-mail address '" + emailAddress
                + "': expected a bare address such as alice@example.com, without display name"
                + " or angle brackets");
        }
        return bare;
    }

    private static void requireKeyType(KeyPair keyPair, CertificateKeyType type) {
        String algorithm = keyPair.getPublic().getAlgorithm();
        if (!type.keyAlgorithm().equals(algorithm)) {
            throw new IllegalArgumentException("The key pair is " + algorithm + " but key type "
                + type.configValue() + " needs a " + type.keyAlgorithm() + " key");
        }
    }
}
