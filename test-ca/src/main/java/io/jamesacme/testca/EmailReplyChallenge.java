package io.jamesacme.testca;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The RFC 8823 email-reply-00 challenge. Token-part1 travels only in the challenge mail's
 * subject, token-part2 only in the challenge object, so completing it needs both channels.
 */
final class EmailReplyChallenge {

    static final String TYPE = "email-reply-00";

    private final String url;
    private final Authorization authorization;
    private final String tokenPart1;
    private final String tokenPart2;
    private final String from;
    private final AtomicBoolean mailClaimed = new AtomicBoolean();
    private volatile AcmeStatus status = AcmeStatus.PENDING;
    private volatile Instant validated;
    private volatile Map<String, Object> error;

    EmailReplyChallenge(String url, Authorization authorization, String tokenPart1,
            String tokenPart2, String from) {
        this.url = url;
        this.authorization = authorization;
        this.tokenPart1 = tokenPart1;
        this.tokenPart2 = tokenPart2;
        this.from = from;
    }

    String url() {
        return url;
    }

    Authorization authorization() {
        return authorization;
    }

    String tokenPart1() {
        return tokenPart1;
    }

    String tokenPart2() {
        return tokenPart2;
    }

    String from() {
        return from;
    }

    AcmeStatus status() {
        return status;
    }

    /** Returns true once the challenge is valid or invalid, which RFC 8555 makes final. */
    boolean isFinal() {
        AcmeStatus current = status;
        return current == AcmeStatus.VALID || current == AcmeStatus.INVALID;
    }

    /** Returns true for the one caller that may send the challenge mail. */
    boolean claimMail() {
        return mailClaimed.compareAndSet(false, true);
    }

    /** Moves a pending challenge to processing; returns false in any other status. */
    synchronized boolean startProcessing() {
        if (status != AcmeStatus.PENDING) {
            return false;
        }
        status = AcmeStatus.PROCESSING;
        return true;
    }

    synchronized void markValid() {
        validated = Instant.now();
        status = AcmeStatus.VALID;
    }

    synchronized void markInvalid(AcmeProblem problem) {
        error = problem.toJson();
        status = AcmeStatus.INVALID;
    }

    synchronized Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("type", TYPE);
        json.put("url", url);
        json.put("status", status.json());
        json.put("token", tokenPart2);
        json.put("from", from);
        if (validated != null) {
            json.put("validated", validated.toString());
        }
        if (error != null) {
            json.put("error", error);
        }
        return json;
    }
}
