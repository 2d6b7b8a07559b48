package io.jamesacme.smime.certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CertificateKeyTypeTest {

    @ParameterizedTest
    @CsvSource({
        "ec-p256, EC_P256",
        "ec-p384, EC_P384",
        "rsa-2048, RSA_2048",
        "rsa-3072, RSA_3072",
        "rsa-4096, RSA_4096",
        "' EC-P384 ', EC_P384"
    })
    void fromConfigValueFindsType(String value, CertificateKeyType expected) {
        assertThat(CertificateKeyType.fromConfigValue(value)).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(CertificateKeyType.class)
    void configValueRoundTrips(CertificateKeyType type) {
        assertThat(CertificateKeyType.fromConfigValue(type.configValue())).isEqualTo(type);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ec", "p256", "rsa-1024", "ec_p256", "ed25519"})
    void fromConfigValueRejectsUnknownValue(String value) {
        assertThatThrownBy(() -> CertificateKeyType.fromConfigValue(value))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'" + value + "'")
            .hasMessageContaining("ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096");
    }

    @Test
    void fromConfigValueRejectsNull() {
        assertThatThrownBy(() -> CertificateKeyType.fromConfigValue(null))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'null'");
    }

    @Test
    void defaultIsEcP256() {
        assertThat(CertificateKeyType.DEFAULT).isEqualTo(CertificateKeyType.EC_P256);
    }

    @ParameterizedTest
    // secp256r1 and secp384r1
    @CsvSource({"EC_P256, 1.2.840.10045.3.1.7", "EC_P384, 1.3.132.0.34"})
    void ecKeyUsesNamedCurve(CertificateKeyType type, String curveOid) {
        KeyPair keyPair = type.generateKeyPair();

        assertThat(keyPair.getPublic()).isInstanceOf(ECPublicKey.class);
        SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(keyPair.getPublic().getEncoded());
        assertThat(info.getAlgorithm().getAlgorithm()).isEqualTo(X9ObjectIdentifiers.id_ecPublicKey);
        assertThat(info.getAlgorithm().getParameters()).isEqualTo(new ASN1ObjectIdentifier(curveOid));
        ECPublicKey publicKey = (ECPublicKey) keyPair.getPublic();
        assertThat(publicKey.getParams().getCurve().getField().getFieldSize())
            .isEqualTo(type.keySize());
    }

    @ParameterizedTest
    @CsvSource({"RSA_2048, 2048", "RSA_3072, 3072", "RSA_4096, 4096"})
    void rsaKeyHasModulusSize(CertificateKeyType type, int bits) {
        KeyPair keyPair = type.generateKeyPair();

        assertThat(keyPair.getPublic()).isInstanceOf(RSAPublicKey.class);
        assertThat(((RSAPublicKey) keyPair.getPublic()).getModulus().bitLength()).isEqualTo(bits);
        assertThat(keyPair.getPrivate()).isInstanceOf(RSAPrivateCrtKey.class);
    }

    @ParameterizedTest
    @EnumSource(value = CertificateKeyType.class, names = {"RSA_2048", "RSA_3072", "RSA_4096"})
    void rsaKeyUsageIsSignatureAndKeyEncipherment(CertificateKeyType type) {
        KeyUsage usage = type.keyUsage();

        assertThat(usage.hasUsages(KeyUsage.digitalSignature)).isTrue();
        assertThat(usage.hasUsages(KeyUsage.keyEncipherment)).isTrue();
        assertThat(usage.hasUsages(KeyUsage.keyAgreement)).isFalse();
        assertThat(usage.getBytes()[0] & 0xff)
            .isEqualTo(KeyUsage.digitalSignature | KeyUsage.keyEncipherment);
    }

    @ParameterizedTest
    @EnumSource(value = CertificateKeyType.class, names = {"EC_P256", "EC_P384"})
    void ecKeyUsageIsSignatureAndKeyAgreement(CertificateKeyType type) {
        KeyUsage usage = type.keyUsage();

        assertThat(usage.hasUsages(KeyUsage.digitalSignature)).isTrue();
        assertThat(usage.hasUsages(KeyUsage.keyAgreement)).isTrue();
        assertThat(usage.hasUsages(KeyUsage.keyEncipherment)).isFalse();
        assertThat(usage.getBytes()[0] & 0xff)
            .isEqualTo(KeyUsage.digitalSignature | KeyUsage.keyAgreement);
    }

    @ParameterizedTest
    @CsvSource({
        "EC_P256, SHA256withECDSA, EC",
        "EC_P384, SHA384withECDSA, EC",
        "RSA_2048, SHA256withRSA, RSA",
        "RSA_3072, SHA256withRSA, RSA",
        "RSA_4096, SHA256withRSA, RSA"
    })
    void signatureAlgorithmFitsKey(CertificateKeyType type, String signature, String key) {
        assertThat(type.signatureAlgorithm()).isEqualTo(signature);
        assertThat(type.keyAlgorithm()).isEqualTo(key);
    }
}
