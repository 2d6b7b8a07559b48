package io.jamesacme.testca;

import java.security.PublicKey;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jose4j.json.JsonUtil;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.InvalidKeyException;
import org.jose4j.lang.JoseException;

/**
 * Verifies RFC 8555 request bodies: a flattened JSON JWS with a protected header carrying
 * {@code alg}, {@code nonce}, {@code url} and either {@code jwk} (newAccount) or {@code kid}
 * (every other request). jose4j checks the signature after the flattened members are joined
 * into the compact form, which covers the same protected header, payload and signature.
 */
final class JwsVerifier {

    private static final String[] ALGORITHMS = {
        AlgorithmIdentifiers.RSA_USING_SHA256,
        AlgorithmIdentifiers.RSA_USING_SHA384,
        AlgorithmIdentifiers.RSA_USING_SHA512,
        AlgorithmIdentifiers.RSA_PSS_USING_SHA256,
        AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
        AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384,
        AlgorithmIdentifiers.ECDSA_USING_P521_CURVE_AND_SHA512,
        AlgorithmIdentifiers.EDDSA
    };
    private static final Set<String> FLATTENED_MEMBERS = Set.of("protected", "payload",
            "signature");

    private final NonceRegistry nonces;
    private final AcmeRegistry registry;

    JwsVerifier(NonceRegistry nonces, AcmeRegistry registry) {
        this.nonces = nonces;
        this.registry = registry;
    }

    /**
     * Verifies {@code body} for a request to {@code requestUrl}.
     *
     * @param expectJwk true for newAccount, which is signed with the new account's key
     * @throws AcmeProblem malformed, badSignatureAlgorithm, badPublicKey (for a {@code jwk}
     *     that jose4j rejects for the algorithm), badNonce, unauthorized or accountDoesNotExist
     */
    SignedRequest verify(String body, String requestUrl, boolean expectJwk) throws AcmeProblem {
        JsonWebSignature jws = parseFlattened(body, "The request body");
        requireSupportedAlgorithm(jws, "JWS");

        PublicJsonWebKey jwk = jwkHeader(jws);
        String kid = jws.getKeyIdHeaderValue();
        if (jwk != null && kid != null) {
            throw AcmeProblem.malformed("The JWS protected header must not contain both "
                    + "'jwk' and 'kid'");
        }
        Account account = null;
        if (expectJwk) {
            if (jwk == null) {
                throw AcmeProblem.malformed("newAccount must be signed with a 'jwk' header");
            }
        } else {
            if (kid == null) {
                throw AcmeProblem.malformed("This request must be signed with a 'kid' header "
                        + "that contains the account URL");
            }
            account = registry.accountByUrl(kid).orElseThrow(() -> AcmeProblem.of(
                    "accountDoesNotExist", 400, "No account exists at 'kid' " + kid));
            if (account.status() != AcmeStatus.VALID) {
                throw AcmeProblem.unauthorized("The account " + kid + " is "
                        + account.status().json());
            }
            jwk = account.key();
        }

        verifySignature(jws, jwk.getPublicKey(), "JWS", expectJwk);
        if (!nonces.consume(jws.getHeader("nonce"))) {
            throw AcmeProblem.of("badNonce", 400, "The JWS nonce is missing, unknown or "
                    + "already used; retry with the Replay-Nonce of this response");
        }

        String url = jws.getHeader("url");
        if (url == null) {
            throw AcmeProblem.malformed("The JWS protected header has no 'url'");
        }
        if (!url.equals(requestUrl)) {
            throw AcmeProblem.unauthorized("The JWS 'url' " + url
                    + " does not match the request URL " + requestUrl);
        }
        return new SignedRequest(jwk, account, jws.getUnverifiedPayload());
    }

    /**
     * Verifies the inner JWS of a keyChange request, which is the payload of the outer JWS
     * (RFC 8555 section 7.3.5). It must be a flattened JWS signed by the new key, with that key
     * in a {@code jwk} header, no {@code kid}, no {@code nonce}, and the {@code url} of the
     * outer JWS. The caller checks the keyChange object in the payload.
     *
     * @param outerUrl the {@code url} of the verified outer JWS
     * @return the request with the new key and no account
     * @throws AcmeProblem malformed, badSignatureAlgorithm, badPublicKey if jose4j rejects the
     *     new key for the algorithm (such as RSA below 2048 bits), or unauthorized if the
     *     {@code url} differs
     */
    SignedRequest verifyKeyChangeInner(String innerBody, String outerUrl) throws AcmeProblem {
        if (innerBody.isEmpty()) {
            throw AcmeProblem.malformed("The keyChange payload must be the inner JWS signed by "
                    + "the new key, not empty");
        }
        JsonWebSignature jws = parseFlattened(innerBody, "The keyChange payload");
        requireSupportedAlgorithm(jws, "inner JWS");
        PublicJsonWebKey jwk = jwkHeader(jws);
        if (jwk == null) {
            throw AcmeProblem.malformed("The inner JWS must have a 'jwk' header with the new "
                    + "key");
        }
        if (jws.getKeyIdHeaderValue() != null) {
            throw AcmeProblem.malformed("The inner JWS must not have a 'kid' header");
        }
        if (jws.getHeader("nonce") != null) {
            throw AcmeProblem.malformed("The inner JWS must not have a 'nonce' header");
        }
        verifySignature(jws, jwk.getPublicKey(), "inner JWS", true);

        String url = jws.getHeader("url");
        if (url == null) {
            throw AcmeProblem.malformed("The inner JWS protected header has no 'url'");
        }
        if (!url.equals(outerUrl)) {
            throw AcmeProblem.unauthorized("The inner JWS 'url' " + url
                    + " does not match the outer JWS 'url' " + outerUrl);
        }
        return new SignedRequest(jwk, null, jws.getUnverifiedPayload());
    }

    /**
     * Returns the {@code nonce} of the protected header without checking the signature, or
     * empty if {@code body} is no flattened JWS or has no nonce.
     */
    static Optional<String> unverifiedNonce(String body) {
        try {
            return Optional.ofNullable(parseFlattened(body, "The request body")
                    .getHeader("nonce"));
        } catch (AcmeProblem | ClassCastException e) {
            return Optional.empty();
        }
    }

    /**
     * Parses a flattened JSON JWS.
     *
     * @param subject what {@code body} is, such as "The request body", for error messages
     */
    private static JsonWebSignature parseFlattened(String body, String subject)
            throws AcmeProblem {
        Map<String, Object> json;
        try {
            json = JsonUtil.parseJson(body);
        } catch (JoseException | ClassCastException e) {
            throw AcmeProblem.malformed(subject + " is not a JSON object: " + e.getMessage());
        }
        if (json == null || !json.keySet().equals(FLATTENED_MEMBERS)) {
            throw AcmeProblem.malformed(subject + " must be a flattened JSON JWS with "
                    + "exactly the members " + FLATTENED_MEMBERS + " (no unprotected header); "
                    + "found " + (json == null ? "null" : json.keySet()));
        }
        for (String member : FLATTENED_MEMBERS) {
            if (!(json.get(member) instanceof String)) {
                throw AcmeProblem.malformed("The JWS member '" + member + "' must be a string");
            }
        }
        JsonWebSignature jws = new JsonWebSignature();
        try {
            jws.setCompactSerialization(json.get("protected") + "." + json.get("payload") + "."
                    + json.get("signature"));
        } catch (JoseException e) {
            throw AcmeProblem.malformed("The JWS cannot be parsed: " + e.getMessage());
        }
        return jws;
    }

    private static void requireSupportedAlgorithm(JsonWebSignature jws, String label)
            throws AcmeProblem {
        String algorithm = jws.getAlgorithmHeaderValue();
        if (algorithm == null || !Set.of(ALGORITHMS).contains(algorithm)) {
            throw AcmeProblem.of("badSignatureAlgorithm", 400, "The " + label + " algorithm '"
                    + algorithm + "' is not supported; use one of " + String.join(", ",
                    ALGORITHMS));
        }
    }

    private static PublicJsonWebKey jwkHeader(JsonWebSignature jws) throws AcmeProblem {
        try {
            PublicJsonWebKey jwk = jws.getJwkHeader();
            if (jwk != null && jwk.getPrivateKey() != null) {
                throw AcmeProblem.malformed("The 'jwk' header contains a private key");
            }
            return jwk;
        } catch (JoseException | ClassCastException e) {
            throw AcmeProblem.malformed("The 'jwk' header is not a valid public JWK: "
                    + e.getMessage());
        }
    }

    /**
     * Verifies the signature of {@code jws} with {@code key}.
     *
     * @param label "JWS" or "inner JWS", for error messages
     * @param keyFromJwkHeader true if the client sent {@code key} in a {@code jwk} header, so
     *     that a key jose4j rejects for the algorithm is the client's badPublicKey. A stored
     *     account key that does not fit the algorithm is a malformed request instead.
     */
    private static void verifySignature(JsonWebSignature jws, PublicKey key, String label,
            boolean keyFromJwkHeader) throws AcmeProblem {
        jws.setAlgorithmConstraints(new AlgorithmConstraints(
                AlgorithmConstraints.ConstraintType.PERMIT, ALGORITHMS));
        jws.setKey(key);
        boolean valid;
        try {
            valid = jws.verifySignature();
        } catch (InvalidKeyException e) {
            if (keyFromJwkHeader) {
                throw AcmeProblem.of("badPublicKey", 400, "The key in the " + label
                        + " 'jwk' header is not supported: " + e.getMessage());
            }
            throw AcmeProblem.malformed("The " + label + " signature cannot be verified: "
                    + e.getMessage());
        } catch (JoseException e) {
            throw AcmeProblem.malformed("The " + label + " signature cannot be verified: "
                    + e.getMessage());
        }
        if (!valid) {
            throw AcmeProblem.malformed("The " + label + " signature is invalid");
        }
    }
}
