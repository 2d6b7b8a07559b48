package io.jamesacme.smime.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The recorded status of one address.
 *
 * @param address the certified address
 * @param state the state of the certificate
 * @param orderUrl the URL of the last order, once the CA created it
 * @param notAfter the end of validity of the stored certificate
 * @param lastError why the last order failed
 * @param keyStore the PKCS#12 file holding the key and chain
 * @param updated when this status was recorded
 * @param nextAttempt when a failed order is tried again, while a retry is scheduled
 */
public record CertificateStatus(String address, CertificateState state, Optional<String> orderUrl,
                                Optional<Instant> notAfter, Optional<String> lastError,
                                Optional<Path> keyStore, Instant updated, Optional<Instant> nextAttempt) {

    public static CertificateStatus none(String address) {
        return new CertificateStatus(address, CertificateState.NONE, Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Instant.EPOCH, Optional.empty());
    }

    /** Returns a copy in the given state, keeping the stored certificate's details. */
    public CertificateStatus withState(CertificateState newState, Instant now) {
        return new CertificateStatus(address, newState, orderUrl, notAfter, lastError, keyStore, now,
            Optional.empty());
    }

    public CertificateStatus withOrderUrl(String url, Instant now) {
        return new CertificateStatus(address, state, Optional.of(url), notAfter, lastError, keyStore,
            now, nextAttempt);
    }

    public CertificateStatus failed(String error, Instant now) {
        return new CertificateStatus(address, CertificateState.FAILED, orderUrl, notAfter,
            Optional.of(error), keyStore, now, Optional.empty());
    }

    /** Returns a copy that waits for a retry at {@code next}, in progress, with the error. */
    public CertificateStatus retrying(String error, Instant next, Instant now) {
        return new CertificateStatus(address, CertificateState.ORDERING, orderUrl, notAfter,
            Optional.of(error), keyStore, now, Optional.of(next));
    }

    public CertificateStatus issued(Instant certificateNotAfter, Path file, Instant now) {
        return new CertificateStatus(address, CertificateState.VALID, orderUrl,
            Optional.of(certificateNotAfter), Optional.empty(), Optional.of(file), now, Optional.empty());
    }

    /** Returns true when a stored certificate is still valid at {@code now}. */
    public boolean hasValidCertificate(Instant now) {
        return keyStore.isPresent() && notAfter.map(now::isBefore).orElse(false);
    }
}
