package io.jamesacme.smime.certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.util.EnumMap;
import java.util.Map;

import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class CsrFactoryTest {
    private static final String ADDRESS = "alice@example.com";

    /** RSA 4096 generation takes a second or more, so each type's key is made once. */
    private static final Map<CertificateKeyType, KeyPair> KEYS = new EnumMap<>(CertificateKeyType.class);

    private static synchronized KeyPair key(CertificateKeyType type) {
        return KEYS.computeIfAbsent(type, CertificateKeyType::generateKeyPair);
    }

    private static PKCS10CertificationRequest csr(CertificateKeyType type, String address)
            throws Exception {
        return new PKCS10CertificationRequest(CsrFactory.createCsr(key(type), address, type));
    }

    private static Extensions extensions(PKCS10CertificationRequest request) {
        Attribute[] attributes = request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
        assertThat(attributes).hasSize(1);
        assertThat(attributes[0].getAttrValues().size()).isEqualTo(1);
        return Extensions.getInstance(attributes[0].getAttrValues().getObjectAt(0));
    }

    @ParameterizedTest
    @EnumSource(CertificateKeyType.class)
    void csrSignatureVerifies(CertificateKeyType type) throws Exception {
        PKCS10CertificationRequest request = csr(type, ADDRESS);

        // The JDK has no KeyFactory under the id-ecPublicKey OID, so Bouncy Castle reads the key.
        assertThat(request.isSignatureValid(new JcaContentVerifierProviderBuilder()
            .setProvider(new BouncyCastleProvider())
            .build(request.getSubjectPublicKeyInfo()))).isTrue();
        assertThat(request.getSignatureAlgorithm().getAlgorithm()).isEqualTo(
            new DefaultSignatureAlgorithmIdentifierFinder().find(type.signatureAlgorithm()).getAlgorithm());
        assertThat(request.getSubjectPublicKeyInfo().getEncoded())
            .isEqualTo(key(type).getPublic().getEncoded());
    }

    @ParameterizedTest
    @EnumSource(CertificateKeyType.class)
    void csrHasOnlyRfc822AltName(CertificateKeyType type) throws Exception {
        Extensions extensions = extensions(csr(type, ADDRESS));

        Extension altNameExtension = extensions.getExtension(Extension.subjectAlternativeName);
        assertThat(altNameExtension.isCritical()).isFalse();
        GeneralName[] names = GeneralNames.getInstance(altNameExtension.getParsedValue()).getNames();
        assertThat(names).hasSize(1);
        assertThat(names[0].getTagNo()).isEqualTo(GeneralName.rfc822Name);
        assertThat(((ASN1String) names[0].getName()).getString()).isEqualTo(ADDRESS);
    }

    @ParameterizedTest
    @EnumSource(CertificateKeyType.class)
    void csrRequestsKeyUsageAndEmailProtection(CertificateKeyType type) throws Exception {
        Extensions extensions = extensions(csr(type, ADDRESS));

        Extension keyUsageExtension = extensions.getExtension(Extension.keyUsage);
        assertThat(keyUsageExtension.isCritical()).isTrue();
        KeyUsage keyUsage = KeyUsage.getInstance(keyUsageExtension.getParsedValue());
        int encryption = type.keyAlgorithm().equals("EC") ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment;
        assertThat(keyUsage.getBytes()[0] & 0xff).isEqualTo(KeyUsage.digitalSignature | encryption);
        assertThat(keyUsage.getBytes()).hasSize(1);

        Extension ekuExtension = extensions.getExtension(Extension.extendedKeyUsage);
        assertThat(ekuExtension.isCritical()).isFalse();
        ExtendedKeyUsage eku = ExtendedKeyUsage.getInstance(ekuExtension.getParsedValue());
        assertThat(eku.getUsages()).containsExactly(KeyPurposeId.id_kp_emailProtection);

        assertThat(extensions.getExtensionOIDs()).containsExactlyInAnyOrder(
            Extension.subjectAlternativeName, Extension.keyUsage, Extension.extendedKeyUsage);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "alice@example.com",
        "alice+tag@example.com",
        "o'brien=x@sub.example.org",
        "\"a,b;c\"@example.com"
    })
    void subjectIsCommonNameWithAddress(String address) throws Exception {
        PKCS10CertificationRequest request = csr(CertificateKeyType.EC_P256, address);

        RDN[] rdns = request.getSubject().getRDNs();
        assertThat(rdns).hasSize(1);
        assertThat(rdns[0].isMultiValued()).isFalse();
        assertThat(rdns[0].getFirst().getType()).isEqualTo(BCStyle.CN);
        assertThat(((ASN1String) rdns[0].getFirst().getValue()).getString()).isEqualTo(address);

        GeneralName altName = GeneralNames.fromExtensions(extensions(request),
            Extension.subjectAlternativeName).getNames()[0];
        assertThat(((ASN1String) altName.getName()).getString()).isEqualTo(address);
    }

    @Test
    void longAddressHasEmptySubject() throws Exception {
        String address = "a".repeat(60) + "@example.com";

        PKCS10CertificationRequest request = csr(CertificateKeyType.EC_P256, address);

        assertThat(request.getSubject().getRDNs()).isEmpty();
        Extension altName = extensions(request).getExtension(Extension.subjectAlternativeName);
        assertThat(altName.isCritical()).isTrue();
        GeneralName[] names = GeneralNames.getInstance(altName.getParsedValue()).getNames();
        assertThat(((ASN1String) names[0].getName()).getString()).isEqualTo(address);
    }

    @Test
    void address64CharactersKeepsCommonName() throws Exception {
        String address = "a".repeat(64 - "@example.com".length()) + "@example.com";

        PKCS10CertificationRequest request = csr(CertificateKeyType.EC_P256, address);

        assertThat(request.getSubject().getRDNs(BCStyle.CN)).hasSize(1);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        " ",
        "alice",
        "alice@",
        "@example.com",
        "Alice <alice@example.com>",
        "<alice@example.com>",
        "alice@example.com, bob@example.com",
        "alice @example.com",
        " alice@example.com",
        "jörg@example.com",
        "alice@exämple.com",
        "undisclosed-recipients:;"
    })
    void invalidAddressIsRejected(String address) {
        KeyPair keyPair = key(CertificateKeyType.EC_P256);

        assertThatThrownBy(() -> CsrFactory.createCsr(keyPair, address, CertificateKeyType.EC_P256))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("Invalid e-mail address");
    }

    @Test
    void keyOfOtherAlgorithmIsRejected() {
        KeyPair ecKey = key(CertificateKeyType.EC_P256);

        assertThatThrownBy(() -> CsrFactory.createCsr(ecKey, ADDRESS, CertificateKeyType.RSA_2048))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("rsa-2048")
            .hasMessageContaining("EC");
    }
}
