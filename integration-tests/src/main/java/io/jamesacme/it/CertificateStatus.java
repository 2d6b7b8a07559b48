package io.jamesacme.it;

import java.nio.file.Path;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Certificate status of one hosted user, as returned by
 * {@code GET /acme-smime/certificates/{address}} of the extension's WebAdmin routes.
 *
 * @param state one of none, ordering, pending, answered, valid, failed
 * @param notAfter end of validity of the stored certificate, or null without one
 * @param keyStore absolute path of the user's PKCS#12 file, or null without one
 * @param json the response body as received
 */
public record CertificateStatus(String address, String state, String orderUrl, Instant notAfter,
                                String lastError, Path keyStore, String json) {

    public static final String VALID = "valid";
    public static final String FAILED = "failed";

    static CertificateStatus fromJson(JsonNode node, String json) {
        String notAfter = text(node, "notAfter");
        String keyStore = text(node, "keyStore");
        return new CertificateStatus(
                text(node, "address"),
                text(node, "state"),
                text(node, "orderUrl"),
                notAfter == null ? null : Instant.parse(notAfter),
                text(node, "lastError"),
                keyStore == null ? null : Path.of(keyStore),
                json);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    public boolean isValid() {
        return VALID.equals(state);
    }

    public boolean isFailed() {
        return FAILED.equals(state);
    }
}
