package io.jamesacme.smime.rfc8823;

/** Thrown when a mail cannot be read as an RFC 8823 challenge mail. */
public class InvalidChallengeMailException extends Exception {
    private static final long serialVersionUID = 1L;

    private final RejectionReason reason;

    public InvalidChallengeMailException(RejectionReason reason, String message) {
        super(reason.code() + ": " + message);
        this.reason = reason;
    }

    public RejectionReason reason() {
        return reason;
    }
}
