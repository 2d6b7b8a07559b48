package io.jamesacme.smime.acme;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.shredzone.acme4j.Certificate;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeServerException;

import io.jamesacme.smime.state.OrderRecord;

/** Helpers that the order steps share to read the CA's resources and the stored records. */
final class AcmeResources {
    private static final String ERROR_PREFIX = "urn:ietf:params:acme:error:";

    private AcmeResources() {
    }

    /** Fetches the current state of the record's order from the CA. */
    static Order fetchOrder(AccountManager accounts, OrderRecord record) throws AcmeException {
        Order order = accounts.login().bindOrder(url(record.orderUrl().orElseThrow()));
        ExtensionClassLoader.call(order::fetch);
        return order;
    }

    /**
     * Fails the order once it has been in its state for longer than {@code timeout}.
     *
     * @param awaited what the order waits for, for the message
     */
    static void checkTimeout(OrderRecord record, Duration timeout, Clock clock, String awaited)
            throws OrderFailedException {
        if (clock.instant().isAfter(record.updatedAt().plus(timeout))) {
            throw new OrderFailedException("the order waited " + timeout + " for " + awaited);
        }
    }

    static List<X509Certificate> parseChain(String pem) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            return factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                .stream()
                .map(X509Certificate.class::cast)
                .toList();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The stored certificate chain cannot be parsed", e);
        }
    }

    static String pem(Certificate certificate) {
        StringWriter writer = new StringWriter();
        try {
            certificate.writeCertificate(writer);
        } catch (IOException e) {
            throw new IllegalStateException("Failed to encode the certificate chain as PEM", e);
        }
        return writer.toString();
    }

    /** Returns ": detail" of an ACME problem for a message, or nothing without a problem. */
    static String describe(Optional<Problem> problem) {
        return problem.map(value -> ": " + value.getDetail().orElse(value.getType().toString()))
            .orElse("");
    }

    /** Returns true when the CA's problem has the RFC 8555 type {@code urn:ietf:params:acme:error:<name>}. */
    static boolean isProblem(AcmeServerException error, String name) {
        return error.getType() != null && error.getType().toString().equals(ERROR_PREFIX + name);
    }

    static URL url(String value) {
        try {
            return new URL(value);
        } catch (MalformedURLException e) {
            throw new IllegalStateException("The stored URL '" + value + "' is invalid", e);
        }
    }
}
