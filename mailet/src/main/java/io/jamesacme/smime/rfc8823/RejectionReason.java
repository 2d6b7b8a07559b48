package io.jamesacme.smime.rfc8823;

/**
 * Why a mail was not taken as an RFC 8823 challenge, or was not answered. Each reason has
 * one fixed code, used in log lines and, later, in headers and metrics.
 */
public enum RejectionReason {
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
    MALFORMED_HEADER("malformed-header"),
    NO_PENDING_ORDER("no-pending-order"),
    FROM_MISMATCH("from-mismatch"),
    ALREADY_ANSWERED("already-answered"),
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
