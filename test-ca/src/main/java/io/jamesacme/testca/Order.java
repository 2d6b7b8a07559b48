package io.jamesacme.testca;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ACME order for one or more email identifiers. Status changes happen while holding the order's
 * monitor, so that authorization outcomes and finalization do not race.
 */
final class Order {

    private final String url;
    private final Account account;
    private final List<String> addresses;
    private final Instant expires;
    private final List<Authorization> authorizations = new ArrayList<>();
    private volatile AcmeStatus status = AcmeStatus.PENDING;
    private volatile String certificateUrl;
    private volatile Map<String, Object> error;

    Order(String url, Account account, List<String> addresses, Instant expires) {
        this.url = url;
        this.account = account;
        this.addresses = List.copyOf(addresses);
        this.expires = expires;
    }

    String url() {
        return url;
    }

    String finalizeUrl() {
        return url + "/finalize";
    }

    Account account() {
        return account;
    }

    List<String> addresses() {
        return addresses;
    }

    synchronized List<Authorization> authorizations() {
        return List.copyOf(authorizations);
    }

    synchronized void addAuthorization(Authorization authorization) {
        authorizations.add(authorization);
    }

    AcmeStatus status() {
        return status;
    }

    synchronized void setStatus(AcmeStatus newStatus) {
        status = newStatus;
    }

    /** Moves a pending order to ready once every authorization is valid. */
    synchronized void updateFromAuthorizations() {
        if (status != AcmeStatus.PENDING) {
            return;
        }
        boolean allValid = authorizations.stream().allMatch(a -> a.status() == AcmeStatus.VALID);
        if (allValid) {
            status = AcmeStatus.READY;
        }
    }

    synchronized void fail(AcmeProblem problem) {
        status = AcmeStatus.INVALID;
        error = problem.toJson();
    }

    synchronized void completeWith(String newCertificateUrl) {
        certificateUrl = newCertificateUrl;
        status = AcmeStatus.VALID;
    }

    /** Marks a pending or ready order invalid once its expiry time has passed. */
    synchronized void expireIfDue(Instant now) {
        if ((status == AcmeStatus.PENDING || status == AcmeStatus.READY) && now.isAfter(expires)) {
            fail(AcmeProblem.unauthorized("The order expired at " + expires));
        }
    }

    synchronized Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("status", status.json());
        json.put("expires", expires.toString());
        List<Map<String, Object>> identifiers = new ArrayList<>();
        for (String address : addresses) {
            identifiers.add(Map.of("type", "email", "value", address));
        }
        json.put("identifiers", identifiers);
        json.put("authorizations", authorizations.stream().map(Authorization::url).toList());
        json.put("finalize", finalizeUrl());
        if (certificateUrl != null) {
            json.put("certificate", certificateUrl);
        }
        if (error != null) {
            json.put("error", error);
        }
        return json;
    }
}
