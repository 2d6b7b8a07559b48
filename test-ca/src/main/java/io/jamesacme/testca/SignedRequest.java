package io.jamesacme.testca;

import java.util.Map;
import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.lang.JoseException;

/**
 * Verified JWS request body: the signer's key, its account (null for a JWS with a {@code jwk}
 * header: newAccount and the inner JWS of keyChange) and the payload text. An empty payload is
 * a POST-as-GET request.
 */
record SignedRequest(PublicJsonWebKey key, Account account, String payload) {

    boolean isPostAsGet() {
        return payload.isEmpty();
    }

    /** Parses the payload as a JSON object. */
    Map<String, Object> payloadJson() throws AcmeProblem {
        if (payload.isEmpty()) {
            throw AcmeProblem.malformed("This request needs a JSON object payload, "
                    + "not an empty POST-as-GET payload");
        }
        try {
            return JsonUtil.parseJson(payload);
        } catch (JoseException | ClassCastException e) {
            throw AcmeProblem.malformed("The JWS payload is not a JSON object: " + e.getMessage());
        }
    }

    /** Returns the account, or raises unauthorized for a request signed with a bare key. */
    Account requireAccount() throws AcmeProblem {
        if (account == null) {
            throw AcmeProblem.unauthorized("This request must be signed with a 'kid' header");
        }
        return account;
    }
}
