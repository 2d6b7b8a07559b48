package io.jamesacme.smime.rfc8823;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.shredzone.acme4j.toolbox.AcmeUtils;
import org.shredzone.acme4j.toolbox.JoseUtils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Checks {@link KeyAuthorization} against the vectors in {@code vectors/email-reply-00.json},
 * whose values were computed with other implementations (jwcrypto and acme2certifier).
 */
class KeyAuthorizationVectorsTest {
    private static final String VECTORS = "/vectors/email-reply-00.json";

    private static JsonNode vectors;
    private static KeyPair accountKey;

    @BeforeAll
    static void loadVectors() throws IOException {
        vectors = readVectors();
        accountKey = readAccountKey(vectors.get("account_key_pkcs8_pem").asText());
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        int index = 0;
        for (JsonNode vector : readVectors().get("cases")) {
            cases.add(Arguments.of(index++, vector));
        }
        assertThat(cases).isNotEmpty();
        return cases.stream();
    }

    @Test
    void accountKeyMatchesJwk() {
        ECPublicKey publicKey = (ECPublicKey) accountKey.getPublic();
        JsonNode jwk = vectors.get("account_jwk");

        assertThat(jwk.get("kty").asText()).isEqualTo("EC");
        assertThat(jwk.get("crv").asText()).isEqualTo("P-256");
        assertThat(publicKey.getW().getAffineX()).isEqualTo(base64UrlInteger(jwk.get("x").asText()));
        assertThat(publicKey.getW().getAffineY()).isEqualTo(base64UrlInteger(jwk.get("y").asText()));
    }

    @Test
    void thumbprintMatchesVector() {
        String thumbprint = AcmeUtils.base64UrlEncode(JoseUtils.thumbprint(accountKey.getPublic()));

        assertThat(thumbprint).isEqualTo(vectors.get("jwk_thumbprint").asText());
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void keyAuthorizationMatchesVector(int index, JsonNode vector) {
        KeyAuthorization authorization = KeyAuthorization.of(vector.get("token_part1").asText(),
            vector.get("token_part2").asText(), accountKey.getPublic());

        assertThat(authorization.value()).isEqualTo(vector.get("key_authorization").asText());
        assertThat(authorization.value()).endsWith("." + vectors.get("jwk_thumbprint").asText());
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void responseMatchesVector(int index, JsonNode vector) {
        String response = KeyAuthorization.of(vector.get("token_part1").asText(),
            vector.get("token_part2").asText(), accountKey.getPublic()).response();

        assertThat(response).isEqualTo(vector.get("response").asText());
        String bytesJoined = vector.get("response_bytes_joined").asText();
        if (!bytesJoined.equals(vector.get("response").asText())) {
            assertThat(response).isNotEqualTo(bytesJoined);
        }
    }

    @Test
    void vectorsIncludeCaseWhereJoiningBytesDiffers() {
        boolean anyDiffers = false;
        for (JsonNode vector : vectors.get("cases")) {
            anyDiffers |= !vector.get("response").asText()
                .equals(vector.get("response_bytes_joined").asText());
        }

        assertThat(anyDiffers).isTrue();
    }

    @Test
    void tokenOrderMatters() {
        JsonNode vector = vectors.get("cases").get(0);
        String part1 = vector.get("token_part1").asText();
        String part2 = vector.get("token_part2").asText();

        String swapped = KeyAuthorization.of(part2, part1, accountKey.getPublic()).response();

        assertThat(swapped).isNotEqualTo(vector.get("response").asText());
    }

    @Test
    void toStringHidesValue() {
        JsonNode vector = vectors.get("cases").get(0);
        KeyAuthorization authorization = KeyAuthorization.of(vector.get("token_part1").asText(),
            vector.get("token_part2").asText(), accountKey.getPublic());

        assertThat(authorization.toString())
            .doesNotContain(vector.get("token_part1").asText())
            .doesNotContain(authorization.response());
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThatThrownBy(() -> KeyAuthorization.of(null, "part2", accountKey.getPublic()))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("tokenPart1");
        assertThatThrownBy(() -> KeyAuthorization.of("part1", null, accountKey.getPublic()))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("tokenPart2");
        assertThatThrownBy(() -> KeyAuthorization.of("part1", "part2", null))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("accountKey");
    }

    private static JsonNode readVectors() throws IOException {
        try (InputStream in = KeyAuthorizationVectorsTest.class.getResourceAsStream(VECTORS)) {
            assertThat(in).as("test resource %s", VECTORS).isNotNull();
            return new ObjectMapper().readTree(in);
        }
    }

    /** Reads the PKCS#8 EC key and takes the public key from its optional publicKey field. */
    private static KeyPair readAccountKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            PrivateKeyInfo privateKeyInfo = (PrivateKeyInfo) parser.readObject();
            ECPrivateKey ecKey = ECPrivateKey.getInstance(privateKeyInfo.parsePrivateKey());
            AlgorithmIdentifier algorithm = new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
                privateKeyInfo.getPrivateKeyAlgorithm().getParameters());
            SubjectPublicKeyInfo publicKeyInfo = new SubjectPublicKeyInfo(algorithm,
                ecKey.getPublicKey().getBytes());

            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            return new KeyPair(converter.getPublicKey(publicKeyInfo),
                converter.getPrivateKey(privateKeyInfo));
        }
    }

    private static BigInteger base64UrlInteger(String value) {
        return new BigInteger(1, Base64.getUrlDecoder().decode(value));
    }
}
