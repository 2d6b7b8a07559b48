package io.jamesacme.smime.certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Security;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KeyPairEncodingTest {

    @ParameterizedTest
    @EnumSource(value = CertificateKeyType.class, names = {"EC_P256", "EC_P384", "RSA_2048"})
    void pemRoundTripKeepsBothKeys(CertificateKeyType type) {
        KeyPair pair = type.generateKeyPair();

        KeyPair parsed = KeyPairEncoding.fromPem(KeyPairEncoding.toPem(pair));

        assertThat(parsed.getPrivate().getEncoded()).isEqualTo(pair.getPrivate().getEncoded());
        assertThat(parsed.getPublic().getEncoded()).isEqualTo(pair.getPublic().getEncoded());
        assertThat(parsed.getPrivate().getAlgorithm()).isEqualTo(type.keyAlgorithm());
    }

    @Test
    void ecKeyNamedEcUnderBouncyCastle() {
        // James registers Bouncy Castle, whose converter would name the keys ECDSA.
        Security.addProvider(new BouncyCastleProvider());
        try {
            KeyPair pair = CertificateKeyType.EC_P256.generateKeyPair();

            KeyPair parsed = KeyPairEncoding.fromPem(KeyPairEncoding.toPem(pair));

            assertThat(parsed.getPrivate().getAlgorithm()).isEqualTo("EC");
            assertThat(KeyPairEncoding.publicKeyFromX509(pair.getPublic().getEncoded()).getAlgorithm())
                .isEqualTo("EC");
            assertThat(KeyPairEncoding.privateKeyFromPkcs8(pair.getPrivate().getEncoded()).getAlgorithm())
                .isEqualTo("EC");
        } finally {
            Security.removeProvider(BouncyCastleProvider.PROVIDER_NAME);
        }
    }

    @Test
    void pemWithoutPublicKeyIsRejected() {
        byte[] pem = KeyPairEncoding.toPem(CertificateKeyType.EC_P256.generateKeyPair());
        String privateOnly = new String(pem, StandardCharsets.US_ASCII).split("-----BEGIN PUBLIC KEY-----")[0];

        assertThatThrownBy(() -> KeyPairEncoding.fromPem(privateOnly.getBytes(StandardCharsets.US_ASCII)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("PUBLIC KEY");
    }

    @Test
    void garbageIsRejectedWithoutQuotingIt() {
        assertThatThrownBy(() -> KeyPairEncoding.privateKeyFromPkcs8(new byte[] {1, 2, 3}))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageNotContaining("\u0001");
    }
}
