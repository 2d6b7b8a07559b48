package io.jamesacme.smime.store;

import java.util.Locale;

/** The state of a user's certificate. WebAdmin returns the lower-case name. */
public enum CertificateState {
    /** No order was ever started for the address. */
    NONE,
    /** An order is being created and its authorization fetched. */
    ORDERING,
    /** The authorization is known and the challenge mail is awaited. */
    PENDING,
    /** The response mail has left and the challenge is, or is about to be, triggered. */
    ANSWERED,
    /** A certificate is stored for the address. */
    VALID,
    /** The last order failed; {@link CertificateStatus#lastError()} contains the reason. */
    FAILED;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns true while an order for the address is in progress. */
    public boolean inProgress() {
        return this == ORDERING || this == PENDING || this == ANSWERED;
    }
}
