package io.jamesacme.smime.state;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The persisted state of one order. Records are immutable, so a step creates a changed copy with
 * one of the {@code with...} methods and writes it with {@link StateStore#update}.
 *
 * @param id this server's identifier of the order, unique in the store
 * @param address the certified address, lower-case
 * @param state the last step written
 * @param orderUrl the CA's order URL, once the CA created it
 * @param challengeUrl the email-reply-00 challenge URL, once the authorization was fetched
 * @param tokenPart2 the challenge's token-part2, once the authorization was fetched
 * @param challengeFrom the address the CA sends the challenge from
 * @param certificateKey the new certificate's key pair, from {@link OrderState#FINALIZED} until
 *     {@link OrderState#STORED}; a secret. The extension writes it as PEM, a PKCS#8 private key
 *     followed by its public key.
 * @param certificateChain the PEM chain, from {@link OrderState#ISSUED} on
 * @param failure why the order failed, for {@link OrderState#FAILED}, or why the last attempt
 *     of the current step failed, while that step waits for its retry
 * @param retryAt when the next step may run: the retry of a failed step, or the trigger time
 *     in {@link OrderState#ANSWERED}; for {@link OrderState#FAILED}, when a new order may start
 * @param attempts how many times a step of this order failed
 * @param version incremented by the store on every write, for compare-and-set updates
 * @param createdAt when the order was created here
 * @param updatedAt when the record was last written
 */
public record OrderRecord(String id, String address, OrderState state, Optional<String> orderUrl,
                          Optional<String> challengeUrl, Optional<String> tokenPart2,
                          Optional<String> challengeFrom, Optional<byte[]> certificateKey,
                          Optional<String> certificateChain, Optional<String> failure,
                          Optional<Instant> retryAt, int attempts, long version,
                          Instant createdAt, Instant updatedAt) {

    public OrderRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(state, "state");
        certificateKey = certificateKey.map(byte[]::clone);
        // PostgreSQL keeps microseconds, so every store keeps exactly that much.
        retryAt = retryAt.map(OrderRecord::micros);
        createdAt = micros(createdAt);
        updatedAt = micros(updatedAt);
    }

    static Instant micros(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }

    /** Returns a new record in {@link OrderState#CREATED}, version 0, for {@link StateStore#createOrder}. */
    public static OrderRecord created(String id, String address, Instant now) {
        return new OrderRecord(id, address, OrderState.CREATED, Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), 0, 0, now, now);
    }

    @Override
    public Optional<byte[]> certificateKey() {
        return certificateKey.map(byte[]::clone);
    }

    public OrderRecord withState(OrderState newState, Instant now) {
        return new OrderRecord(id, address, newState, orderUrl, challengeUrl, tokenPart2, challengeFrom,
            certificateKey, certificateChain, failure, retryAt, attempts, version, createdAt, now);
    }

    public OrderRecord withOrderUrl(String url, Instant now) {
        return new OrderRecord(id, address, state, Optional.of(url), challengeUrl, tokenPart2,
            challengeFrom, certificateKey, certificateChain, failure, retryAt, attempts, version,
            createdAt, now);
    }

    public OrderRecord withChallenge(String url, String token, String from, Instant now) {
        return new OrderRecord(id, address, state, orderUrl, Optional.of(url), Optional.of(token),
            Optional.of(from), certificateKey, certificateChain, failure, retryAt, attempts, version,
            createdAt, now);
    }

    public OrderRecord withCertificateKey(byte[] pkcs8, Instant now) {
        return new OrderRecord(id, address, state, orderUrl, challengeUrl, tokenPart2, challengeFrom,
            Optional.of(pkcs8), certificateChain, failure, retryAt, attempts, version, createdAt, now);
    }

    public OrderRecord withCertificateChain(String pem, Instant now) {
        return new OrderRecord(id, address, state, orderUrl, challengeUrl, tokenPart2, challengeFrom,
            certificateKey, Optional.of(pem), failure, retryAt, attempts, version, createdAt, now);
    }

    /**
     * Returns the record moved on to {@code newState} after a step succeeded: the failure of an
     * earlier attempt and the retry time are cleared.
     */
    public OrderRecord advancedTo(OrderState newState, Instant now) {
        return new OrderRecord(id, address, newState, orderUrl, challengeUrl, tokenPart2,
            challengeFrom, certificateKey, certificateChain, Optional.empty(), Optional.empty(),
            attempts, version, createdAt, now);
    }

    /** Returns the record whose next step may run only from {@code time} on. */
    public OrderRecord notBefore(Instant time, Instant now) {
        return new OrderRecord(id, address, state, orderUrl, challengeUrl, tokenPart2, challengeFrom,
            certificateKey, certificateChain, failure, Optional.of(time), attempts, version,
            createdAt, now);
    }

    /** Returns the record without its retry time, as the retry of a failed step starts. */
    public OrderRecord withoutRetryTime(Instant now) {
        return new OrderRecord(id, address, state, orderUrl, challengeUrl, tokenPart2, challengeFrom,
            certificateKey, certificateChain, failure, Optional.empty(), attempts, version, createdAt,
            now);
    }

    /** Returns the record in the same state after a failed attempt, to be retried at {@code retry}. */
    public OrderRecord retrying(String reason, Instant retry, Instant now) {
        return new OrderRecord(id, address, state, orderUrl, challengeUrl, tokenPart2, challengeFrom,
            certificateKey, certificateChain, Optional.of(reason), Optional.of(retry), attempts + 1,
            version, createdAt, now);
    }

    /** Returns the record in {@link OrderState#STORED}, without the key, which the key store now holds. */
    public OrderRecord stored(Instant now) {
        return new OrderRecord(id, address, OrderState.STORED, orderUrl, challengeUrl, tokenPart2,
            challengeFrom, Optional.empty(), certificateChain, Optional.empty(), Optional.empty(),
            attempts, version, createdAt, now);
    }

    /** Returns the record in {@link OrderState#FAILED}, without the key, which can no longer be used. */
    public OrderRecord failed(String reason, Instant retry, Instant now) {
        return new OrderRecord(id, address, OrderState.FAILED, orderUrl, challengeUrl, tokenPart2,
            challengeFrom, Optional.empty(), certificateChain, Optional.of(reason), Optional.of(retry),
            attempts + 1, version, createdAt, now);
    }

    /** Returns the record as the store wrote it: same content, the given version. */
    public OrderRecord withVersion(long newVersion) {
        return new OrderRecord(id, address, state, orderUrl, challengeUrl, tokenPart2, challengeFrom,
            certificateKey, certificateChain, failure, retryAt, attempts, newVersion, createdAt, updatedAt);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof OrderRecord that)) {
            return false;
        }
        return id.equals(that.id) && address.equals(that.address) && state == that.state
            && orderUrl.equals(that.orderUrl) && challengeUrl.equals(that.challengeUrl)
            && tokenPart2.equals(that.tokenPart2) && challengeFrom.equals(that.challengeFrom)
            && Arrays.equals(certificateKey.orElse(null), that.certificateKey.orElse(null))
            && certificateChain.equals(that.certificateChain) && failure.equals(that.failure)
            && retryAt.equals(that.retryAt) && attempts == that.attempts && version == that.version
            && createdAt.equals(that.createdAt) && updatedAt.equals(that.updatedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, address, state, orderUrl, version);
    }

    @Override
    public String toString() {
        return "OrderRecord[id=" + id + ", address=" + address + ", state=" + state + ", orderUrl="
            + orderUrl.orElse("none") + ", version=" + version + "]";
    }
}
