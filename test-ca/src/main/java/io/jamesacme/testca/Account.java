package io.jamesacme.testca;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.PublicJsonWebKey;

/** ACME account, identified by the RFC 7638 thumbprint of its public key. */
final class Account {

    private final String url;
    private final PublicJsonWebKey key;
    private final String thumbprint;
    private volatile List<String> contact;
    private volatile AcmeStatus status = AcmeStatus.VALID;

    Account(String url, PublicJsonWebKey key, String thumbprint, List<String> contact) {
        this.url = url;
        this.key = key;
        this.thumbprint = thumbprint;
        this.contact = List.copyOf(contact);
    }

    String url() {
        return url;
    }

    PublicJsonWebKey key() {
        return key;
    }

    /** Base64url SHA-256 thumbprint of the account key, used in key authorizations. */
    String thumbprint() {
        return thumbprint;
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
