package io.jamesacme.testca;

import java.security.SecureRandom;
import org.jose4j.base64url.Base64Url;

/** Random base64url strings for nonces, resource ids and challenge tokens. */
final class RandomTokens {

    private static final SecureRandom RANDOM = new SecureRandom();

    private RandomTokens() {
    }

    /** Returns {@code bytes} random bytes, base64url-encoded without padding. */
    static String next(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return Base64Url.encode(value);
    }
}
