package io.jamesacme.testca;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ACME resource that a request path addresses. The {@link #id()} is the name that
 * {@link Fault#onlyOn} takes and that {@link RequestLogEntry#endpoint()} reports. Where RFC 8555
 * section 7.1.1 names a directory field for the resource, the id is that name.
 */
enum AcmeEndpoint {
    DIRECTORY("directory", false),
    NEW_NONCE("newNonce", false),
    TERMS("terms", false),
    NEW_ACCOUNT("newAccount", true),
    ACCOUNT("account", true),
    ORDERS("orders", true),
    KEY_CHANGE("keyChange", true),
    NEW_ORDER("newOrder", true),
    ORDER("order", true),
    FINALIZE("finalize", true),
    AUTHORIZATION("authz", true),
    CHALLENGE("challenge", true),
    CERTIFICATE("certificate", true),
    /** A path no resource serves; faults never apply to it. */
    UNKNOWN("unknown", false);

    private final String id;
    private final boolean signed;

    AcmeEndpoint(String id, boolean signed) {
        this.id = id;
        this.signed = signed;
    }

    String id() {
        return id;
    }

    /** True for resources that take only JWS-signed POST requests. */
    boolean signed() {
        return signed;
    }

    static AcmeEndpoint fromPath(String path) {
        switch (path) {
            case DirectoryResource.DIRECTORY_PATH:
                return DIRECTORY;
            case DirectoryResource.NEW_NONCE_PATH:
                return NEW_NONCE;
            case DirectoryResource.TERMS_PATH:
                return TERMS;
            case DirectoryResource.NEW_ACCOUNT_PATH:
                return NEW_ACCOUNT;
            case DirectoryResource.NEW_ORDER_PATH:
                return NEW_ORDER;
            case DirectoryResource.KEY_CHANGE_PATH:
                return KEY_CHANGE;
            default:
                break;
        }
        if (path.startsWith("/acct/")) {
            return path.endsWith("/orders") ? ORDERS : ACCOUNT;
        }
        if (path.startsWith("/order/")) {
            return path.endsWith("/finalize") ? FINALIZE : ORDER;
        }
        if (path.startsWith("/authz/")) {
            return AUTHORIZATION;
        }
        if (path.startsWith("/chall/")) {
            return CHALLENGE;
        }
        if (path.startsWith("/cert/")) {
            return CERTIFICATE;
        }
        return UNKNOWN;
    }

    static Optional<AcmeEndpoint> byId(String id) {
        return Arrays.stream(values()).filter(endpoint -> endpoint != UNKNOWN)
                .filter(endpoint -> endpoint.id.equals(id)).findFirst();
    }

    /** Returns the ids that {@link Fault#onlyOn} accepts, in routing order. */
    static List<String> faultableIds() {
        return Arrays.stream(values()).filter(endpoint -> endpoint != UNKNOWN)
                .map(AcmeEndpoint::id).toList();
    }
}
