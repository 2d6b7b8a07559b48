package io.jamesacme.smime.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import io.jamesacme.smime.state.OrderState;

/**
 * The status of one address, as derived from its orders in the state store.
 *
 * @param address the certified address
 * @param state the state of the certificate
 * @param orderId this server's id of the latest order
 * @param orderState the step the latest order has reached
 * @param orderUrl the CA's URL of the latest order, once the CA created it
 * @param notAfter the end of validity of the stored certificate
 * @param lastError why the latest order failed, or why its last attempt failed while a retry
 *     is scheduled
 * @param keyStore the PKCS#12 file holding the key and chain
 * @param updated when the latest order was last written
 * @param nextAttempt when the failed step of the latest order is tried again, or, after the
 *     latest order failed, from when provisioning may replace it
 */
public record CertificateStatus(String address, CertificateState state, Optional<String> orderId,
                                Optional<OrderState> orderState, Optional<String> orderUrl,
                                Optional<Instant> notAfter, Optional<String> lastError,
                                Optional<Path> keyStore, Instant updated, Optional<Instant> nextAttempt) {

    public static CertificateStatus none(String address) {
        return new CertificateStatus(address, CertificateState.NONE, Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Instant.EPOCH,
            Optional.empty());
    }

    /** Returns true when a stored certificate is still valid at {@code now}. */
    public boolean hasValidCertificate(Instant now) {
        return keyStore.isPresent() && notAfter.map(now::isBefore).orElse(false);
    }
}
