package io.jamesacme.testca;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** ACME authorization of one email identifier, with exactly one email-reply-00 challenge. */
final class Authorization {

    private final String url;
    private final Order order;
    private final String address;
    private final Instant expires;
    private final AtomicBoolean fetched = new AtomicBoolean();
    private volatile EmailReplyChallenge challenge;
    private volatile AcmeStatus status = AcmeStatus.PENDING;

    Authorization(String url, Order order, String address, Instant expires) {
        this.url = url;
        this.order = order;
        this.address = address;
        this.expires = expires;
    }

    String url() {
        return url;
    }

    Order order() {
        return order;
    }

    String address() {
        return address;
    }

    EmailReplyChallenge challenge() {
        return challenge;
    }

    void attach(EmailReplyChallenge newChallenge) {
        challenge = newChallenge;
    }

    AcmeStatus status() {
        return status;
    }

    void setStatus(AcmeStatus newStatus) {
        status = newStatus;
    }

    /** Returns true only for the first call, which is the first fetch by the client. */
    boolean markFetched() {
        return fetched.compareAndSet(false, true);
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("identifier", Map.of("type", "email", "value", address));
        json.put("status", status.json());
        json.put("expires", expires.toString());
        json.put("challenges", List.of(challenge.toJson()));
        return json;
    }
}
