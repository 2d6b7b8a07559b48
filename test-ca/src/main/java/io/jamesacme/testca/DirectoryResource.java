package io.jamesacme.testca;

import java.util.LinkedHashMap;
import java.util.Map;

/** The directory (RFC 8555 section 7.1.1), the newNonce resource and the terms of service. */
final class DirectoryResource {

    static final String DIRECTORY_PATH = "/directory";
    static final String NEW_NONCE_PATH = "/new-nonce";
    static final String NEW_ACCOUNT_PATH = "/new-account";
    static final String NEW_ORDER_PATH = "/new-order";
    static final String KEY_CHANGE_PATH = "/key-change";
    static final String TERMS_PATH = "/terms";

    private final String baseUrl;

    DirectoryResource(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    // NOTE: the directory offers no revokeCert or renewalInfo, so revocation and ACME Renewal
    // Information requests of a client fail against this CA.
    AcmeResponse directory() {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("termsOfService", baseUrl + TERMS_PATH);
        meta.put("website", baseUrl + TERMS_PATH);
        meta.put("externalAccountRequired", false);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("newNonce", baseUrl + NEW_NONCE_PATH);
        json.put("newAccount", baseUrl + NEW_ACCOUNT_PATH);
        json.put("newOrder", baseUrl + NEW_ORDER_PATH);
        json.put("keyChange", baseUrl + KEY_CHANGE_PATH);
        json.put("meta", meta);
        return AcmeResponse.json(200, json);
    }

    /** Returns the newNonce response: 200 for HEAD and 204 for GET, as RFC 8555 section 7.2 specifies. */
    AcmeResponse newNonce(String method) {
        return AcmeResponse.empty("HEAD".equals(method) ? 200 : 204);
    }

    AcmeResponse terms() {
        return AcmeResponse.text(200, "james-acme-smime test CA\n\n"
                + "This CA issues certificates for tests only. Its root key is stored unencrypted "
                + "in the state directory, so never trust its root outside a test setup.\n");
    }
}
