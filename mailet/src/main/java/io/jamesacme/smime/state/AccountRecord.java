package io.jamesacme.smime.state;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The ACME account of this server, stored once and shared by every node.
 *
 * @param privateKey the PKCS#8 encoding of the account key pair's private key; a secret
 * @param publicKey the X.509 SubjectPublicKeyInfo encoding of its public key
 * @param accountUrl the account URL the CA returned, once the account is registered
 * @param createdAt when the key was created
 */
public record AccountRecord(byte[] privateKey, byte[] publicKey, Optional<String> accountUrl,
                            Instant createdAt) {

    public AccountRecord {
        privateKey = privateKey.clone();
        publicKey = publicKey.clone();
        Objects.requireNonNull(accountUrl, "accountUrl");
        createdAt = OrderRecord.micros(Objects.requireNonNull(createdAt, "createdAt"));
    }

    @Override
    public byte[] privateKey() {
        return privateKey.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    public AccountRecord withAccountUrl(String url) {
        return new AccountRecord(privateKey, publicKey, Optional.of(url), createdAt);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AccountRecord that && Arrays.equals(privateKey, that.privateKey)
            && Arrays.equals(publicKey, that.publicKey) && accountUrl.equals(that.accountUrl)
            && createdAt.equals(that.createdAt);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "AccountRecord[accountUrl=" + accountUrl.orElse("none") + ", createdAt=" + createdAt + "]";
    }
}
