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
     * @throws AcmeProblem malformed, badSignatureAlgorithm, badNonce, unauthorized or
     *     accountDoesNotExist
     */
    SignedRequest verify(String body, String requestUrl, boolean expectJwk) throws AcmeProblem {
        JsonWebSignature jws = parseFlattened(body);
        String algorithm = jws.getAlgorithmHeaderValue();
        if (algorithm == null || !Set.of(ALGORITHMS).contains(algorithm)) {
            throw AcmeProblem.of("badSignatureAlgorithm", 400, "The JWS algorithm '"
                    + algorithm + "' is not supported; use one of " + String.join(", ",
                    ALGORITHMS));
        }

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

        verifySignature(jws, jwk.getPublicKey());
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
     * Returns the {@code nonce} of the protected header without checking the signature, or
     * empty if {@code body} is no flattened JWS or has no nonce.
     */
    static Optional<String> unverifiedNonce(String body) {
        try {
            return Optional.ofNullable(parseFlattened(body).getHeader("nonce"));
        } catch (AcmeProblem | ClassCastException e) {
            return Optional.empty();
        }
    }

    private static JsonWebSignature parseFlattened(String body) throws AcmeProblem {
        Map<String, Object> json;
        try {
            json = JsonUtil.parseJson(body);
        } catch (JoseException | ClassCastException e) {
            throw AcmeProblem.malformed("The request body is not a JSON object: "
                    + e.getMessage());
        }
        if (json == null || !json.keySet().equals(FLATTENED_MEMBERS)) {
            throw AcmeProblem.malformed("The request body must be a flattened JSON JWS with "
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

    private static void verifySignature(JsonWebSignature jws, PublicKey key) throws AcmeProblem {
        jws.setAlgorithmConstraints(new AlgorithmConstraints(
                AlgorithmConstraints.ConstraintType.PERMIT, ALGORITHMS));
        jws.setKey(key);
        boolean valid;
        try {
            valid = jws.verifySignature();
        } catch (JoseException e) {
            throw AcmeProblem.malformed("The JWS signature cannot be verified: "
                    + e.getMessage());
        }
        if (!valid) {
            throw AcmeProblem.malformed("The JWS signature is invalid");
        }
    }
}
