package io.jamesacme.smime.state;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The ACME account of this server, stored once and shared by every node.
 *
 * <p>A key rollover stores the new key pair in {@code newPrivateKey} and {@code newPublicKey}
 * before it asks the CA to change the key, and moves it to {@code privateKey} and
 * {@code publicKey} afterwards. A crash in between leaves both pairs, so the next start can
 * ask the CA which one the account has, and no key the CA knows is ever lost.
 *
 * @param privateKey the PKCS#8 encoding of the account key pair's private key; a secret
 * @param publicKey the X.509 SubjectPublicKeyInfo encoding of its public key
 * @param accountUrl the account URL the CA returned, once the account is registered
 * @param createdAt when the key was created
 * @param newPrivateKey the private key of a key rollover in progress; a secret
 * @param newPublicKey the public key of a key rollover in progress
 * @param newKeyCreatedAt when the rollover in progress stored its key
 */
public record AccountRecord(byte[] privateKey, byte[] publicKey, Optional<String> accountUrl,
                            Instant createdAt, Optional<byte[]> newPrivateKey,
                            Optional<byte[]> newPublicKey, Optional<Instant> newKeyCreatedAt) {

    public AccountRecord {
        privateKey = privateKey.clone();
        publicKey = publicKey.clone();
        Objects.requireNonNull(accountUrl, "accountUrl");
        createdAt = OrderRecord.micros(Objects.requireNonNull(createdAt, "createdAt"));
        newPrivateKey = newPrivateKey.map(byte[]::clone);
        newPublicKey = newPublicKey.map(byte[]::clone);
        newKeyCreatedAt = newKeyCreatedAt.map(OrderRecord::micros);
        if (newPrivateKey.isPresent() != newPublicKey.isPresent()
                || newPrivateKey.isPresent() != newKeyCreatedAt.isPresent()) {
            throw new IllegalArgumentException("A rollover key needs its private key, its public key and"
                + " its creation time");
        }
    }

    /** Creates an account record with no key rollover in progress. */
    public AccountRecord(byte[] privateKey, byte[] publicKey, Optional<String> accountUrl,
                         Instant createdAt) {
        this(privateKey, publicKey, accountUrl, createdAt, Optional.empty(), Optional.empty(),
            Optional.empty());
    }

    @Override
    public byte[] privateKey() {
        return privateKey.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public Optional<byte[]> newPrivateKey() {
        return newPrivateKey.map(byte[]::clone);
    }

    @Override
    public Optional<byte[]> newPublicKey() {
        return newPublicKey.map(byte[]::clone);
    }

    /** Returns true while a key rollover is in progress. */
    public boolean hasNewKey() {
        return newPrivateKey.isPresent();
    }

    public AccountRecord withAccountUrl(String url) {
        return new AccountRecord(privateKey, publicKey, Optional.of(url), createdAt, newPrivateKey,
            newPublicKey, newKeyCreatedAt);
    }

    /** Returns the record with a key rollover to the given key pair in progress since {@code now}. */
    public AccountRecord withNewKey(byte[] privateKeyOfNewPair, byte[] publicKeyOfNewPair, Instant now) {
        return new AccountRecord(privateKey, publicKey, accountUrl, createdAt,
            Optional.of(privateKeyOfNewPair), Optional.of(publicKeyOfNewPair), Optional.of(now));
    }

    /** Returns the record after a completed rollover: the new key pair replaces the old one. */
    public AccountRecord withNewKeyInUse(Instant now) {
        if (!hasNewKey()) {
            throw new IllegalStateException("No key rollover is in progress");
        }
        return new AccountRecord(newPrivateKey.get(), newPublicKey.get(), accountUrl, now);
    }

    /** Returns the record after a rollover the CA did not take: the old key pair stays. */
    public AccountRecord withoutNewKey() {
        return new AccountRecord(privateKey, publicKey, accountUrl, createdAt);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AccountRecord that && Arrays.equals(privateKey, that.privateKey)
            && Arrays.equals(publicKey, that.publicKey) && accountUrl.equals(that.accountUrl)
            && createdAt.equals(that.createdAt)
            && Arrays.equals(newPrivateKey.orElse(null), that.newPrivateKey.orElse(null))
            && Arrays.equals(newPublicKey.orElse(null), that.newPublicKey.orElse(null))
            && newKeyCreatedAt.equals(that.newKeyCreatedAt);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "AccountRecord[accountUrl=" + accountUrl.orElse("none") + ", createdAt=" + createdAt
            + ", rollover=" + (hasNewKey() ? "in progress" : "none") + "]";
    }
}
