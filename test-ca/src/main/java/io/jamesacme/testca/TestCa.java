package io.jamesacme.testca;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.mail.MessagingException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local ACME server (RFC 8555) that issues S/MIME test certificates after the email-reply-00
 * challenge of RFC 8823. It listens on 127.0.0.1 over HTTPS, sends challenge mails by SMTP and
 * reads the responses from its own IMAP inbox. Accounts and orders live in memory. The root key
 * and certificate persist in the state directory, so a restart keeps the same trust store.
 *
 * <pre>{@code
 * try (TestCa ca = TestCa.start(config)) {
 *     Session session = new Session(ca.directoryUrl(), providerTrusting(ca.trustStore()));
 *     ...
 * }
 * }</pre>
 */
public final class TestCa implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestCa.class);

    private final RootAuthority root;
    private final AcmeHttpServer server;
    private final ChallengeProcessor processor;
    private final AcmeRegistry registry;

    private TestCa(RootAuthority root, AcmeHttpServer server, ChallengeProcessor processor,
            AcmeRegistry registry) {
        this.root = root;
        this.server = server;
        this.processor = processor;
        this.registry = registry;
    }

    /**
     * Loads or creates the test root in the state directory and starts the HTTPS server.
     *
     * @throws IOException if the state directory cannot be used or the port cannot be bound
     * @throws GeneralSecurityException if a key or certificate cannot be created or loaded
     */
    public static TestCa start(TestCaConfig config) throws IOException, GeneralSecurityException {
        RootAuthority root = RootAuthority.loadOrCreate(config.stateDirectory());
        SSLContext tls = TlsServerContext.create(root);
        NonceRegistry nonces = new NonceRegistry();
        AcmeHttpServer server = AcmeHttpServer.bind(config.httpsPort(), tls, nonces);
        AcmeRegistry registry = new AcmeRegistry(server.baseUrl(), config.caAddress());
        ChallengeProcessor processor = new ChallengeProcessor(config,
                new ChallengeMailer(config.smtpHost(), config.smtpPort(), config.caAddress()),
                new ResponseMailbox(config.imapHost(), config.imapPort(), config.imapUser(),
                        config.imapPassword()),
                registry);
        JwsVerifier verifier = new JwsVerifier(nonces, registry);
        SmimeCertificateIssuer issuer =
                new SmimeCertificateIssuer(root, config.certificateValidity());
        server.start(new AcmeHttpServer.Resources(
                new DirectoryResource(server.baseUrl()),
                new AccountResource(registry, verifier),
                new OrderResource(registry, verifier, issuer),
                new AuthorizationResource(registry, verifier, processor)));
        LOG.info("Test CA started: directory {}, challenge timing {}, SMTP {}:{}, IMAP {}:{} as {}",
                server.baseUrl() + DirectoryResource.DIRECTORY_PATH, config.challengeTiming(),
                config.smtpHost(), config.smtpPort(), config.imapHost(), config.imapPort(),
                config.imapUser());
        return new TestCa(root, server, processor, registry);
    }

    /** Returns the directory URL, {@code https://127.0.0.1:<port>/directory}. */
    public URI directoryUrl() {
        return URI.create(server.baseUrl() + DirectoryResource.DIRECTORY_PATH);
    }

    public X509Certificate rootCertificate() {
        return root.certificate();
    }

    /** Returns the path of the PEM file of the root certificate in the state directory. */
    public Path rootCertificatePem() {
        return root.certificatePem();
    }

    /** Returns the path of the PKCS#12 trust store that contains only the root certificate. */
    public Path trustStore() {
        return root.trustStore();
    }

    public String trustStorePassword() {
        return RootAuthority.TRUST_STORE_PASSWORD;
    }

    /** Returns the KeyStore type of {@link #trustStore()}: {@code PKCS12}. */
    public String trustStoreType() {
        return RootAuthority.TRUST_STORE_TYPE;
    }

    /**
     * Counts the mails in the CA's IMAP INBOX whose subject is {@code Re: ACME: <token-part1>}
     * of the latest challenge for {@code address}, whatever their sender and content.
     *
     * @return the count, or 0 if the CA never created a challenge for the address
     * @throws UncheckedIOException if the IMAP server cannot be read
     */
    public int responsesReceived(String address) {
        try {
            return processor.responsesReceived(address);
        } catch (MessagingException e) {
            throw new UncheckedIOException(new IOException(
                    "Reading the CA inbox over IMAP failed: " + e.getMessage(), e));
        }
    }

    /** Returns how many challenge mails the CA has sent to {@code address} since it started. */
    public int challengesSent(String address) {
        return registry.challengeMailsSent(address);
    }

    /** Stops the HTTPS server and the challenge threads; validations in progress are dropped. */
    @Override
    public void close() {
        server.close();
        processor.close();
        LOG.info("Test CA at {} stopped", server.baseUrl());
    }
}
