package io.jamesacme.testca;

/**
 * Failure that {@link TestCa#inject} makes the CA produce, so that tests can check how an ACME
 * client retries. Every kind except {@link #CONNECTION_REFUSED} affects a given number of
 * requests and then ends by itself.
 */
public enum FaultKind {
    /** HTTP 500 with the problem type {@code urn:ietf:params:acme:error:serverInternal}. */
    SERVER_ERROR_500,
    /** HTTP 503 with a Retry-After header and the problem type serverInternal. */
    UNAVAILABLE_503,
    /** HTTP 429 with a Retry-After header and the problem type rateLimited (RFC 8555 6.6). */
    RATE_LIMITED_429,
    /**
     * HTTP 400 with the problem type badNonce and a fresh Replay-Nonce, as RFC 8555 6.5
     * requires, for JWS-signed POST requests only. The CA consumes the rejected request's nonce.
     */
    BAD_NONCE,
    /** The normal response, sent only after a delay that should exceed the client's timeout. */
    SLOW_RESPONSE,
    /** The listening socket is closed for a period, so new connections are refused. */
    CONNECTION_REFUSED
}
