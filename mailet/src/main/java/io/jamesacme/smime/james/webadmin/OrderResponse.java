package io.jamesacme.smime.james.webadmin;

import java.time.Instant;
import java.util.Locale;

import io.jamesacme.smime.state.OrderRecord;

/**
 * One order in the JSON body of {@code GET /acme-smime/certificates/{address}/orders}. It names
 * no secret: whether the order holds a private key is a boolean. Absent values are {@code null}.
 *
 * @param id this server's id of the order
 * @param state the step the order has reached, lower-case: {@code created},
 *     {@code authorization_fetched}, ... {@code stored} or {@code failed}
 * @param orderUrl the CA's order URL
 * @param failure why the order failed, or why its last attempt failed
 * @param retryAt when the next step may run, ISO-8601
 * @param attempts how many attempts of a step failed
 * @param holdsPrivateKey true while the record contains the new certificate's private key
 * @param hasCertificate true once the record contains the certificate chain
 * @param createdAt when the order was created, ISO-8601
 * @param updatedAt when the order was last written, ISO-8601
 */
public record OrderResponse(String id, String state, String orderUrl, String failure, String retryAt,
                            int attempts, boolean holdsPrivateKey, boolean hasCertificate,
                            String createdAt, String updatedAt) {

    static OrderResponse of(OrderRecord order) {
        return new OrderResponse(order.id(), order.state().name().toLowerCase(Locale.ROOT),
            order.orderUrl().orElse(null), order.failure().orElse(null),
            order.retryAt().map(Instant::toString).orElse(null), order.attempts(),
            order.certificateKey().isPresent(), order.certificateChain().isPresent(),
            order.createdAt().toString(), order.updatedAt().toString());
    }
}
