package io.jamesacme.smime.acme;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;

/**
 * The rule for trying a failed order again: after a transient CA error (network failure, timeout,
 * server error, rate limit, bad nonce), up to {@code maxAttempts} attempts per order, with an
 * exponential backoff from {@code initialBackoff} up to {@code maxBackoff} and random jitter of
 * up to half the delay. A Retry-After the CA sent with a rate limit is honoured when it is later.
 *
 * @param maxAttempts the attempts of one order, the first one included
 * @param initialBackoff the delay before the second attempt, before jitter
 * @param maxBackoff the longest delay, before jitter
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    private static final String ERROR_PREFIX = "urn:ietf:params:acme:error:";
    private static final Set<String> TRANSIENT_TYPES = Set.of("serverInternal", "badNonce", "rateLimited");

    /** Returns true when {@code error} is worth another attempt of the order. */
    public boolean isTransient(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof AcmeNetworkException || cause instanceof IOException) {
                return true;
            }
            if (cause instanceof AcmeServerException server) {
                URI type = server.getType();
                return type != null && type.toString().startsWith(ERROR_PREFIX)
                    && TRANSIENT_TYPES.contains(type.toString().substring(ERROR_PREFIX.length()));
            }
        }
        return false;
    }

    /**
     * Returns when attempt {@code nextAttempt} (2 for the first retry) may start, or empty when
     * the order has used its attempts or the error is not transient.
     */
    public Optional<Instant> nextAttemptTime(int nextAttempt, Throwable error, Instant now) {
        if (nextAttempt > maxAttempts || !isTransient(error)) {
            return Optional.empty();
        }
        long base = initialBackoff.toMillis();
        for (int i = 2; i < nextAttempt && base < maxBackoff.toMillis(); i++) {
            base *= 2;
        }
        base = Math.min(base, maxBackoff.toMillis());
        long jitter = base <= 1 ? 0 : ThreadLocalRandom.current().nextLong(base / 2 + 1);
        Instant backoff = now.plusMillis(base + jitter);
        Optional<Instant> retryAfter = retryAfter(error);
        return Optional.of(retryAfter.filter(backoff::isBefore).orElse(backoff));
    }

    private static Optional<Instant> retryAfter(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof AcmeRateLimitedException limited) {
                return limited.getRetryAfter();
            }
        }
        return Optional.empty();
    }
}
