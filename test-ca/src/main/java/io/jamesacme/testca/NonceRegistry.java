package io.jamesacme.testca;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Issued, not yet used Replay-Nonce values. Each nonce is accepted once. The oldest nonces are
 * dropped beyond {@link #MAX_NONCES}, so a client that hoards nonces gets badNonce and retries.
 */
final class NonceRegistry {

    static final int MAX_NONCES = 10_000;

    private final Set<String> issued = Collections.newSetFromMap(
            Collections.synchronizedMap(new LinkedHashMap<String, Boolean>() {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > MAX_NONCES;
                }
            }));

    String issue() {
        String nonce = RandomTokens.next(16);
        issued.add(nonce);
        return nonce;
    }

    /** Removes {@code nonce}; returns false if it was never issued or is already used. */
    boolean consume(String nonce) {
        return nonce != null && issued.remove(nonce);
    }
}
