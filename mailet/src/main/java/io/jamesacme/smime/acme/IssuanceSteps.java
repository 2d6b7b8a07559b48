package io.jamesacme.smime.acme;

import java.io.IOException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.shredzone.acme4j.Certificate;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.certificate.CsrFactory;
import io.jamesacme.smime.certificate.KeyPairEncoding;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;

/**
 * The steps from a valid authorization to the stored certificate: {@link OrderState#VALID}
 * creates and stores the key, {@link OrderState#FINALIZED} sends the CSR and downloads the chain,
 * and {@link OrderState#ISSUED} writes the key store. The key and the chain are in the store
 * before the action that needs them, so a restart never creates a second key for one order.
 */
final class IssuanceSteps {
    private static final Logger LOGGER = LoggerFactory.getLogger(IssuanceSteps.class);

    private final AcmeSmimeConfiguration configuration;
    private final AccountManager accounts;
    private final StateStore store;
    private final CertificateFiles certificateFiles;
    private final Clock clock;

    IssuanceSteps(AcmeSmimeConfiguration configuration, AccountManager accounts, StateStore store,
                  CertificateFiles certificateFiles, Clock clock) {
        this.configuration = configuration;
        this.accounts = accounts;
        this.store = store;
        this.certificateFiles = certificateFiles;
        this.clock = clock;
    }

    /** Generates the certificate key and stores it, before the CSR that uses it is sent. */
    Optional<Duration> createKey(OrderRecord record) {
        KeyPair keyPair = configuration.keyType().generateKeyPair();
        Instant now = clock.instant();
        store.update(record.withCertificateKey(KeyPairEncoding.toPem(keyPair), now)
            .advancedTo(OrderState.FINALIZED, now));
        return Optional.of(Duration.ZERO);
    }

    /**
     * Sends the CSR while the CA's order is ready, waits while the CA processes it, and downloads
     * the certificate once it is valid. After a restart the CSR is sent again only if the CA
     * did not get it.
     */
    Optional<Duration> finalizeOrDownload(OrderRecord record)
            throws AcmeException, OrderFailedException {
        Order order = AcmeResources.fetchOrder(accounts, record);
        Status status = order.getStatus();
        if (status == Status.READY) {
            KeyPair keyPair = KeyPairEncoding.fromPem(record.certificateKey().orElseThrow());
            byte[] csr = CsrFactory.createCsr(keyPair, record.address(), configuration.keyType());
            try {
                ExtensionClassLoader.<Void, AcmeException>call(() -> {
                    order.execute(csr);
                    return null;
                });
            } catch (AcmeServerException e) {
                if (!AcmeResources.isProblem(e, "orderNotReady")) {
                    throw e;
                }
                // Another finalize request reached the CA first, so the next fetch of the order
                // shows its status.
                LOGGER.info("Order {} for {} was finalized already", record.orderUrl().get(), record.address());
                return Optional.of(OrderSteps.CA_POLL);
            }
            LOGGER.info("Finalized order {} for {}", record.orderUrl().get(), record.address());
            return Optional.of(OrderSteps.CA_POLL);
        }
        if (status == Status.PROCESSING) {
            AcmeResources.checkTimeout(record, configuration.challengeTimeout(), clock,
                "the certificate to be issued");
            return Optional.of(OrderSteps.CA_POLL);
        }
        if (status != Status.VALID) {
            throw new OrderFailedException("the order became " + status
                + AcmeResources.describe(order.getError()));
        }

        Certificate certificate = order.getCertificate();
        String chain = ExtensionClassLoader.call(() -> {
            certificate.download();
            return AcmeResources.pem(certificate);
        });
        store.update(record.withCertificateChain(chain, clock.instant())
            .advancedTo(OrderState.ISSUED, clock.instant()));
        LOGGER.info("Downloaded the certificate of order {} for {}", record.orderUrl().get(),
            record.address());
        CrashPoint.ISSUED.reached(record.id());
        return Optional.of(Duration.ZERO);
    }

    Optional<Duration> storeCertificate(OrderRecord record) throws IOException {
        KeyPair keyPair = KeyPairEncoding.fromPem(record.certificateKey().orElseThrow());
        List<X509Certificate> chain = AcmeResources.parseChain(record.certificateChain().orElseThrow());
        certificateFiles.write(record.address(), keyPair.getPrivate(), chain,
            record.certificateChain().get());
        store.update(record.stored(clock.instant()));
        X509Certificate leaf = chain.get(0);
        LOGGER.info("Stored the certificate of order {} for {} (serial {}, valid until {}) in {}",
            record.orderUrl().orElse("(none)"), record.address(), leaf.getSerialNumber().toString(16),
            leaf.getNotAfter().toInstant(), certificateFiles.keyStore(record.address()));
        return Optional.empty();
    }
}
