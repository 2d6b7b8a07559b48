package io.jamesacme.testca;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.PublicJsonWebKey;

/**
 * ACME account, found by its URL or by the RFC 7638 thumbprint of its public key. The URL stays
 * for the account's life, and the key changes only by a key rollover.
 */
final class Account {

    /** Public key with its thumbprint, replaced as one value so that readers see a pair. */
    private record AccountKey(PublicJsonWebKey jwk, String thumbprint) {
    }

    private final String url;
    private volatile AccountKey key;
    private volatile List<String> contact;
    private volatile AcmeStatus status = AcmeStatus.VALID;

    Account(String url, PublicJsonWebKey key, String thumbprint, List<String> contact) {
        this.url = url;
        this.key = new AccountKey(key, thumbprint);
        this.contact = List.copyOf(contact);
    }

    String url() {
        return url;
    }

    PublicJsonWebKey key() {
        return key.jwk();
    }

    /**
     * Base64url SHA-256 thumbprint of the current account key. Key authorizations use it when
     * the CA validates a challenge, so after a rollover they need the new key's thumbprint.
     */
    String thumbprint() {
        return key.thumbprint();
    }

    /** Replaces the key. Only {@link AcmeRegistry#changeKey} calls it, under the registry lock. */
    void replaceKey(PublicJsonWebKey newKey, String newThumbprint) {
        key = new AccountKey(newKey, newThumbprint);
    }

    AcmeStatus status() {
        return status;
    }

    void deactivate() {
        status = AcmeStatus.DEACTIVATED;
    }

    void updateContact(List<String> newContact) {
        contact = List.copyOf(newContact);
    }

    String ordersUrl() {
        return url + "/orders";
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("status", status.json());
        json.put("contact", contact);
        json.put("termsOfServiceAgreed", true);
        json.put("orders", ordersUrl());
        return json;
    }
}
