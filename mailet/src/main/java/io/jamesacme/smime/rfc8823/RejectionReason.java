package io.jamesacme.smime.rfc8823;

/**
 * Why a challenge-looking mail was not answered. Each reason has one fixed code, used in log
 * lines, in the header of an unanswered mail and in the metrics. The codes never change
 * meaning, so operators may filter on them.
 */
public enum RejectionReason {
    // The mail as a whole
    NULL_SENDER("null-sender"),
    RESPONSE_LOOP("response-loop"),
    OVERSIZED("oversized"),
    HEADER_TOO_LARGE("header-too-large"),
    MALFORMED_MIME("malformed-mime"),
    MIME_TOO_DEEP("mime-too-deep"),

    // Header fields
    SUBJECT_MISSING("subject-missing"),
    MULTIPLE_SUBJECTS("multiple-subjects"),
    MALFORMED_SUBJECT("malformed-subject"),
    NOT_A_CHALLENGE_SUBJECT("not-acme-subject"),
    TOKEN_INVALID_CHARACTER("token-invalid-character"),
    TOKEN_TOO_SHORT("token-too-short"),
    TOKEN_TOO_LONG("token-too-long"),
    FROM_MISSING("from-missing"),
    MULTIPLE_FROM("multiple-from"),
    FROM_INVALID("from-invalid"),
    MULTIPLE_MESSAGE_IDS("multiple-message-id"),
    DUPLICATE_HEADER("duplicate-header"),
    MALFORMED_HEADER("malformed-header"),
    RECIPIENT_NOT_IN_TO("recipient-not-in-to"),
    MULTIPLE_RECIPIENTS("multiple-recipients"),

    // Authenticity
    DKIM_NONE("dkim-none"),
    DKIM_FAIL("dkim-fail"),
    DKIM_TEMPERROR("dkim-temperror"),
    DKIM_DOMAIN_MISMATCH("dkim-domain-mismatch"),
    DKIM_HEADERS_UNSIGNED("dkim-headers-unsigned"),
    DKIM_BODY_LENGTH_LIMIT("dkim-body-length-limit"),
    SMIME_NONE("smime-none"),
    SMIME_MALFORMED("smime-malformed"),
    SMIME_BAD_SIGNATURE("smime-bad-signature"),
    SMIME_UNTRUSTED("smime-untrusted"),
    SMIME_SIGNER_MISMATCH("smime-signer-mismatch"),
    SMIME_HEADER_MISMATCH("smime-header-mismatch"),
    SENDER_NOT_AUTHENTICATED("sender-not-authenticated"),
    SENDER_NOT_TRUSTED("sender-not-trusted"),

    // The order
    NO_PENDING_ORDER("no-pending-order"),
    FROM_MISMATCH("from-mismatch"),
    ALREADY_ANSWERED("already-answered"),
    ORDER_EXPIRED("order-expired"),
    STALE_CHALLENGE("stale-challenge"),
    ORDER_FAILED("order-failed");

    private final String code;

    RejectionReason(String code) {
        this.code = code;
    }

    /** Returns the fixed code of this reason, for example {@code token-too-short}. */
    public String code() {
        return code;
    }
}
