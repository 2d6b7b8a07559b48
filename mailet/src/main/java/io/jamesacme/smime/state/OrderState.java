package io.jamesacme.smime.state;

/**
 * The steps of one certificate order, in the order they happen. Each step is written to the
 * store before the side effect that follows it, so a restart resumes after the last step written.
 */
public enum OrderState {
    /** The order exists here, and the CA may or may not have it yet. */
    CREATED,
    /** The CA created the order, and the record contains its challenge URL and token-part2. */
    AUTHORIZATION_FETCHED,
    /** An authentic challenge mail arrived and was claimed, and the response is about to be sent. */
    CHALLENGE_RECEIVED,
    /** The response mail was handed to James. */
    ANSWERED,
    /** The challenge was triggered: the CA was requested to validate it. */
    TRIGGERED,
    /** The CA reports the authorization valid. */
    VALID,
    /** The CSR was sent, and the key of the new certificate is in the record. */
    FINALIZED,
    /** The certificate chain was downloaded and is in the record. */
    ISSUED,
    /** Key and chain are in the certificate store, and the order is done. */
    STORED,
    /** The order ended without a certificate. The record contains the reason and the retry time. */
    FAILED;

    /** Returns true while the order can still move on, that is, for every state but the last two. */
    public boolean isActive() {
        return this != STORED && this != FAILED;
    }
}
