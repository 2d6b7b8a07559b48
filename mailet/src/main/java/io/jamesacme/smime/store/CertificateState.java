package io.jamesacme.smime.store;

import java.util.Locale;

import io.jamesacme.smime.state.OrderState;

/** The state of a user's certificate. WebAdmin returns the lower-case name. */
public enum CertificateState {
    /** No order was ever started for the address. */
    NONE,
    /** An order is being created and its authorization fetched. */
    ORDERING,
    /** The authorization is known and the challenge mail is awaited. */
    PENDING,
    /** The challenge mail was answered, and the order goes on to the certificate. */
    ANSWERED,
    /** A certificate is stored for the address. */
    VALID,
    /** The last order failed; {@link CertificateStatus#lastError()} contains the reason. */
    FAILED;

    /** Returns the certificate state while the latest order of the address is in {@code state}. */
    public static CertificateState of(OrderState state) {
        return switch (state) {
            case CREATED -> ORDERING;
            case AUTHORIZATION_FETCHED -> PENDING;
            case CHALLENGE_RECEIVED, ANSWERED, TRIGGERED, VALID, FINALIZED, ISSUED -> ANSWERED;
            case STORED -> VALID;
            case FAILED -> FAILED;
        };
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns true while an order for the address is in progress. */
    public boolean inProgress() {
        return this == ORDERING || this == PENDING || this == ANSWERED;
    }
}
