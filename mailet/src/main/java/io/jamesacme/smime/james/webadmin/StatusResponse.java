package io.jamesacme.smime.james.webadmin;

import java.util.Locale;

import io.jamesacme.smime.store.CertificateStatus;

/**
 * The JSON body of the certificate status routes. Absent values are {@code null}.
 *
 * @param address the certified address
 * @param state {@code none}, {@code ordering}, {@code pending}, {@code answered},
 *              {@code valid} or {@code failed}
 * @param orderId this server's id of the latest order
 * @param orderState the step the latest order has reached, lower-case
 * @param orderUrl the CA's URL of the latest order
 * @param notAfter the end of validity of the stored certificate, ISO-8601
 * @param lastError why the last order failed
 * @param keyStore the path of the PKCS#12 file
 * @param updated when the status was recorded, ISO-8601
 * @param nextAttempt when the failed step of the latest order is tried again, ISO-8601, while a
 *     retry is scheduled
 */
public record StatusResponse(String address, String state, String orderId, String orderState,
                             String orderUrl, String notAfter, String lastError, String keyStore,
                             String updated, String nextAttempt) {

    static StatusResponse of(CertificateStatus status) {
        return new StatusResponse(status.address(), status.state().jsonName(),
            status.orderId().orElse(null),
            status.orderState().map(state -> state.name().toLowerCase(Locale.ROOT)).orElse(null),
            status.orderUrl().orElse(null),
            status.notAfter().map(Object::toString).orElse(null),
            status.lastError().orElse(null),
            status.keyStore().map(Object::toString).orElse(null),
            status.updated().toString(),
            status.nextAttempt().map(Object::toString).orElse(null));
    }
}
