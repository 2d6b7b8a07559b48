package io.jamesacme.testca;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jose4j.base64url.Base64Url;

/**
 * RFC 8823 section 3 key authorization: token-part1, token-part2, a period and the RFC 7638
 * SHA-256 thumbprint of the account key, concatenated as strings. The response mail carries
 * the base64url SHA-256 digest of it.
 */
final class KeyAuthorization {

    private KeyAuthorization() {
    }

    static String of(String tokenPart1, String tokenPart2, String accountThumbprint) {
        return tokenPart1 + tokenPart2 + "." + accountThumbprint;
    }

    /** Returns base64url without padding of SHA-256 over the UTF-8 key authorization. */
    static String expectedResponse(String tokenPart1, String tokenPart2,
            String accountThumbprint) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha256.digest(of(tokenPart1, tokenPart2, accountThumbprint)
                    .getBytes(StandardCharsets.UTF_8));
            return Base64Url.encode(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform provides SHA-256", e);
        }
    }
}
