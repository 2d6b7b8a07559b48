package io.jamesacme.smime.rfc8823;

import static java.util.Objects.requireNonNull;

import java.security.PublicKey;

import org.shredzone.acme4j.toolbox.AcmeUtils;
import org.shredzone.acme4j.toolbox.JoseUtils;

/**
 * The RFC 8823 key authorization: token-part1 and token-part2 joined as strings, a dot, and
 * the base64url RFC 7638 JWK thumbprint of the account key. The value sent back to the CA is
 * the {@link #response() response}, the base64url SHA-256 digest of that string.
 */
public final class KeyAuthorization {
    private final String value;

    private KeyAuthorization(String value) {
        this.value = value;
    }

    public static KeyAuthorization of(String tokenPart1, String tokenPart2, PublicKey accountKey) {
        requireNonNull(tokenPart1, "tokenPart1");
        requireNonNull(tokenPart2, "tokenPart2");
        requireNonNull(accountKey, "accountKey");
        String thumbprint = AcmeUtils.base64UrlEncode(JoseUtils.thumbprint(accountKey));
        return new KeyAuthorization(tokenPart1 + tokenPart2 + "." + thumbprint);
    }

    /** Returns the base64url (unpadded) SHA-256 digest of the key authorization. */
    public String response() {
        return AcmeUtils.base64UrlEncode(AcmeUtils.sha256hash(value));
    }

    /** Returns the key authorization itself. It is a secret until the challenge is valid. */
    public String value() {
        return value;
    }

    /** Hides the value, so that a log line never carries it by accident. */
    @Override
    public String toString() {
        return "KeyAuthorization[hidden]";
    }
}
