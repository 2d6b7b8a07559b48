package io.jamesacme.testca;

/**
 * Moment at which the CA sends the RFC 8823 challenge mail, relative to the first fetch of the
 * authorization that contains the challenge.
 */
public enum ChallengeTiming {

    /**
     * The CA returns the authorization first and sends the challenge mail asynchronously after
     * {@link TestCaConfig#challengeMailDelay()}, so the client already stores token-part2 when
     * the mail arrives.
     */
    AFTER_AUTHORIZATION_FETCH,

    /**
     * The CA sends the challenge mail synchronously by SMTP while it handles the first fetch,
     * then delays the HTTP response by {@link TestCaConfig#earlyChallengeHold()}. The client's
     * mail pipeline thus sees the challenge before the client has token-part2.
     */
    BEFORE_AUTHORIZATION_RESPONSE
}
