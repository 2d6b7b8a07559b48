package io.jamesacme.testca;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import javax.mail.MessagingException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local ACME server (RFC 8555) that issues S/MIME test certificates after the email-reply-00
 * challenge of RFC 8823. It listens on 127.0.0.1 over HTTPS, sends challenge mails by SMTP and
 * reads the responses from its own IMAP inbox. Accounts and orders live in memory. The root key
 * and certificate persist in the state directory, so a restart keeps the same trust store, and
 * so do the DKIM key and the S/MIME signing certificate that {@link ChallengeSigning} uses.
 *
 * <p>Besides the ACME server, the CA offers building blocks for tests that craft challenge
 * mails: the genuine mail in any signing mode, DKIM and S/MIME signatures over any message, and
 * held challenge mails that only {@link #sendChallengeMail} sends.
 *
 * <p>For tests of a client's retries, {@link #inject} makes the CA fail on purpose: error
 * responses, bad nonces, slow responses and refused connections (see {@link FaultKind}). The
 * {@link #requestLog()} and {@link #faultHits()} show which requests a fault affected and when
 * the client got through again.
 *
 * <pre>{@code
 * try (TestCa ca = TestCa.start(config)) {
 *     Session session = new Session(ca.directoryUrl(), providerTrusting(ca.trustStore()));
 *     ...
 * }
 * }</pre>
 */
public final class TestCa implements AutoCloseable {

    /** DKIM selector of the CA's key; its record is {@code acme._domainkey.<CA domain>}. */
    public static final String DKIM_SELECTOR = DkimKey.SELECTOR;

    private static final Logger LOG = LoggerFactory.getLogger(TestCa.class);

    private final RootAuthority root;
    private final AcmeHttpServer server;
    private final ChallengeMessages messages;
    private final ChallengeProcessor processor;
    private final AcmeRegistry registry;
    private final FaultInjector faults;
    private final RequestLog requestLog;

    private TestCa(RootAuthority root, AcmeHttpServer server, ChallengeMessages messages,
            ChallengeProcessor processor, AcmeRegistry registry, FaultInjector faults,
            RequestLog requestLog) {
        this.root = root;
        this.server = server;
        this.messages = messages;
        this.processor = processor;
        this.registry = registry;
        this.faults = faults;
        this.requestLog = requestLog;
    }

    /**
     * Loads or creates the test root, the DKIM key and the S/MIME signing certificate in the
     * state directory, starts the HTTPS server and injects the faults of the configuration.
     *
     * @throws IOException if the state directory cannot be used or the port cannot be bound
     * @throws GeneralSecurityException if a key or certificate cannot be created or loaded
     */
    public static TestCa start(TestCaConfig config) throws IOException, GeneralSecurityException {
        RootAuthority root = RootAuthority.loadOrCreate(config.stateDirectory());
        ChallengeMessages messages = new ChallengeMessages(config.caAddress(), config.caDomain(),
                DkimKey.loadOrCreate(config.stateDirectory(), config.caDomain()),
                SmimeSignerCertificates.loadOrCreate(config.stateDirectory(), root,
                        config.caAddress()));
        SSLContext tls = TlsServerContext.create(root);
        NonceRegistry nonces = new NonceRegistry();
        FaultInjector faults = new FaultInjector(nonces);
        RequestLog requestLog = new RequestLog();
        AcmeHttpServer server = AcmeHttpServer.bind(config.httpsPort(), tls, nonces, faults,
                requestLog);
        AcmeRegistry registry = new AcmeRegistry(server.baseUrl(), config.caAddress());
        ChallengeProcessor processor = new ChallengeProcessor(config, messages,
                new ChallengeMailer(config),
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
        LOG.info("Test CA started: directory {}, challenge timing {}, signing {}, mails {}, "
                + "SMTP {}:{} {}, IMAP {}:{} as {}",
                server.baseUrl() + DirectoryResource.DIRECTORY_PATH, config.challengeTiming(),
                config.challengeSigning(), config.challengeMailHeld() ? "held" : "sent",
                config.smtpHost(), config.smtpPort(),
                config.smtpAuthUser().map(user -> "with AUTH as " + user).orElse("without AUTH"),
                config.imapHost(), config.imapPort(), config.imapUser());
        TestCa ca = new TestCa(root, server, messages, processor, registry, faults, requestLog);
        config.faults().forEach(ca::inject);
        return ca;
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

    /**
     * Fetches over IMAP the raw bytes of the mails in the CA's INBOX whose subject is
     * {@code Re: ACME: <token-part1>} of the latest challenge for {@code address}, which are
     * the mails that {@link #responsesReceived} counts.
     *
     * @return the mails, or an empty list if the CA never created a challenge for the address
     * @throws UncheckedIOException if the IMAP server cannot be read
     */
    public List<byte[]> responseMessages(String address) {
        try {
            return processor.responseMessages(address);
        } catch (MessagingException e) {
            throw new UncheckedIOException(new IOException(
                    "Reading the CA inbox over IMAP failed: " + e.getMessage(), e));
        }
    }

    /** Returns how many accounts the CA has created since it started, deactivated ones too. */
    public int accountCount() {
        return registry.accountCount();
    }

    /**
     * Returns the end-entity certificates that the CA issued since it started with
     * {@code address} as an rfc822Name SAN, compared case-insensitively, oldest first. A
     * certificate for several addresses is listed under each of them.
     */
    public List<X509Certificate> issuedCertificates(String address) {
        return registry.certificatesFor(address);
    }

    /** Returns how many challenge mails the CA has sent to {@code address} since it started. */
    public int challengesSent(String address) {
        return registry.challengeMailsSent(address);
    }

    /** Returns the latest challenge created for {@code address}, whatever its status now. */
    public Optional<PendingChallenge> pendingChallenge(String address) {
        return registry.latestChallengeFor(address).map(challenge -> new PendingChallenge(
                challenge.authorization().address(), challenge.tokenPart1(), challenge.from(),
                challenge.url()));
    }

    /**
     * Builds the genuine challenge mail of the latest challenge for {@code address} in
     * {@code signing} mode, with the same code that sends it. Each call makes a new mail, so
     * Date, Message-ID and signatures differ between calls.
     *
     * @return the RFC 5322 bytes with CRLF line ends, as they would go over SMTP
     * @throws NoSuchElementException if the CA never created a challenge for the address
     */
    public byte[] challengeMail(String address, ChallengeSigning signing) {
        try {
            return processor.challengeMail(latestChallenge(address), signing);
        } catch (MessagingException | GeneralSecurityException e) {
            throw new IllegalStateException("Building the " + signing + " challenge mail for "
                    + address + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Sends the challenge mail of the latest challenge for {@code address} now, in the
     * configured signing mode, whether challenge mails are held or not.
     *
     * @throws NoSuchElementException if the CA never created a challenge for the address
     * @throws UncheckedIOException if the SMTP server rejects the mail
     */
    public void sendChallengeMail(String address) {
        EmailReplyChallenge challenge = latestChallenge(address);
        try {
            processor.sendNow(challenge);
        } catch (MessagingException e) {
            throw new UncheckedIOException(new IOException("Sending the challenge mail to "
                    + address + " failed: " + e.getMessage(), e));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Signing the challenge mail to " + address
                    + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Marks the latest authorization for {@code address} expired and its challenge invalid with
     * an unauthorized problem. A pending or ready order becomes invalid too, so a client that
     * polls the order finds it invalid.
     *
     * @throws NoSuchElementException if the CA never created a challenge for the address
     */
    public void expireChallenge(String address) {
        processor.expire(latestChallenge(address));
    }

    /** Returns the DKIM key's TXT record value, {@code v=DKIM1; k=rsa; p=<base64 key>}. */
    public String dkimKeyRecord() {
        return messages.dkimKey().keyRecord();
    }

    /** Returns the DNS name of the DKIM key record, {@code acme._domainkey.<CA domain>}. */
    public String dkimRecordName() {
        return messages.dkimKey().recordName();
    }

    /**
     * Returns the key records file in the state directory. Each line that does not start with
     * {@code #} is a DNS name, one space and the TXT record value published under it.
     */
    public Path dkimKeyRecordsFile() {
        return messages.dkimKey().recordsFile();
    }

    /**
     * DKIM-signs {@code rawMessage} for the CA's domain with the header fields that the CA
     * signs in its own challenge mails.
     *
     * @param rawMessage an RFC 5322 message with CRLF line ends
     * @return the DKIM-Signature header field followed by the unchanged message
     */
    public byte[] dkimSign(byte[] rawMessage) {
        return dkimSign(rawMessage, ChallengeMessages.DKIM_SIGNED_HEADERS);
    }

    /**
     * DKIM-signs {@code rawMessage} for the CA's domain with rsa-sha256, relaxed/relaxed and
     * the given h= list.
     *
     * @param signedHeaders header field names separated by colons, such as {@code from:subject}
     * @throws IllegalArgumentException if the list is malformed or the message cannot be parsed
     */
    public byte[] dkimSign(byte[] rawMessage, String signedHeaders) {
        return messages.dkimKey().sign(rawMessage, messages.dkimKey().domain(), signedHeaders);
    }

    /**
     * DKIM-signs {@code rawMessage} like {@link #dkimSign(byte[], String)} but with d= set to
     * {@code domain}. The key is the CA's, published only for the CA's domain.
     */
    public byte[] dkimSignAs(byte[] rawMessage, String domain, String signedHeaders) {
        return messages.dkimKey().sign(rawMessage, domain, signedHeaders);
    }

    /**
     * Returns the CA's S/MIME signing certificate: issued from {@link #rootCertificate()}, with
     * the CA address as rfc822Name, key usage digitalSignature and extended key usage
     * emailProtection.
     */
    public X509Certificate smimeSigningCertificate() {
        return messages.smimeSigners().caCertificate();
    }

    /**
     * Signs {@code rawUnsignedMessage} as multipart/signed (detached, micalg=sha-256) with the
     * certificate of {@code signer}. The outer header fields stay, and the signed part contains
     * copies of From, To and Subject and the original body.
     */
    public byte[] smimeSign(byte[] rawUnsignedMessage, SmimeSigner signer) {
        return smimeSign(rawUnsignedMessage, signer, false);
    }

    /**
     * Signs like {@link #smimeSign} but encapsulates the signed part in an
     * application/pkcs7-mime; smime-type=signed-data body.
     */
    public byte[] smimeSignOpaque(byte[] rawUnsignedMessage, SmimeSigner signer) {
        return smimeSign(rawUnsignedMessage, signer, true);
    }

    private byte[] smimeSign(byte[] raw, SmimeSigner signer, boolean encapsulated) {
        try {
            return messages.smimeSign(raw, signer, encapsulated);
        } catch (MessagingException e) {
            throw new IllegalArgumentException("S/MIME signing as " + signer + " failed: "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("S/MIME signing as " + signer + " failed: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Makes the CA fail on purpose until the fault ends. A counted fault affects the next
     * {@link Fault#count()} requests it applies to, then the CA responds normally again.
     * Several counted faults may be active at once, and each request gets the earliest
     * injected one that applies. {@link FaultKind#CONNECTION_REFUSED} closes the listening
     * socket before this method returns and listens on the same port again after
     * {@link Fault#delay()}.
     *
     * @throws IllegalStateException for a refused connection after {@link #close()}
     */
    public void inject(Fault fault) {
        if (fault.kind() == FaultKind.CONNECTION_REFUSED) {
            faults.countHits(FaultKind.CONNECTION_REFUSED,
                    server.refuseConnectionsFor(fault.delay()));
        } else {
            faults.add(fault);
        }
    }

    /**
     * Removes every injected fault that has requests left and ends a refused period, so the
     * CA listens again before this method returns unless binding the port fails (it then
     * keeps trying every 100 ms). Responses that a slow-response fault already holds back are
     * still sent late. {@link #faultHits()} and {@link #requestLog()} keep their contents.
     */
    public void clearFaults() {
        faults.clear();
        server.listenNow();
    }

    /**
     * Returns, for every fault kind, how many requests its faults affected since the CA
     * started. For {@link FaultKind#CONNECTION_REFUSED} that is the number of requests in
     * progress when the socket closed, because the refused connection attempts never reach
     * the CA. Only the client sees those.
     */
    public Map<FaultKind, Integer> faultHits() {
        return faults.hits();
    }

    /**
     * Returns the latest requests that reached the CA, at most 10,000, in the order the CA
     * finished handling them. A slow response is listed when the CA starts holding it back.
     * Requests refused during a {@link FaultKind#CONNECTION_REFUSED} period are missing.
     */
    public List<RequestLogEntry> requestLog() {
        return requestLog.snapshot();
    }

    private EmailReplyChallenge latestChallenge(String address) {
        return registry.latestChallengeFor(address).orElseThrow(() -> new NoSuchElementException(
                "The CA has created no challenge for " + address));
    }

    /** Stops the HTTPS server and the challenge threads; validations in progress are dropped. */
    @Override
    public void close() {
        server.close();
        processor.close();
        LOG.info("Test CA at {} stopped", server.baseUrl());
    }
}
