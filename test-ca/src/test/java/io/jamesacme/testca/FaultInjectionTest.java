package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Security;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * Injected faults seen by a raw HTTPS client and by acme4j: status, headers and problem type
 * of each kind, the end of a fault after its count or period, and the request log.
 */
class FaultInjectionTest {

    static {
        // acme4j's KeyPairUtils creates EC keys through the Bouncy Castle provider.
        Security.addProvider(new BouncyCastleProvider());
    }

    private static final String ERROR = "urn:ietf:params:acme:error:";
    private static final String PROBLEM_JSON = "application/problem+json";

    @TempDir
    static Path stateDirectory;

    private static MailFixture mail;
    private TestCa ca;

    @BeforeAll
    static void startMail() {
        mail = new MailFixture();
    }

    @AfterAll
    static void stopMail() {
        mail.close();
    }

    @BeforeEach
    void startCa() throws Exception {
        ca = mail.startCa(stateDirectory, builder -> builder);
    }

    @AfterEach
    void stopCa() {
        ca.close();
    }

    private Session session() {
        return new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
    }

    private static KeyPair ecKey() {
        return KeyPairUtils.createECKeyPair("secp256r1");
    }

    private static HttpResponse<String> newAccount(RawAcmeClient raw, KeyPair key, String nonce)
            throws Exception {
        String url = raw.url("/new-account");
        return raw.post(url, RawAcmeClient.signWithJwk(key, nonce, url,
                "{\"termsOfServiceAgreed\":true}"));
    }

    private static String replayNonce(HttpResponse<?> response) {
        return response.headers().firstValue("Replay-Nonce").orElseThrow();
    }

    private static Optional<String> header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name);
    }

    private List<RequestLogEntry> logFor(String endpoint) {
        return ca.requestLog().stream().filter(entry -> entry.endpoint().equals(endpoint))
                .toList();
    }

    private int hits(FaultKind kind) {
        return ca.faultHits().get(kind);
    }

    @Test
    void serverErrorEndsAfterCount() throws Exception {
        ca.inject(Fault.of(FaultKind.SERVER_ERROR_500, 2).onlyOn("newAccount"));
        RawAcmeClient raw = new RawAcmeClient(ca);
        KeyPair key = ecKey();

        HttpResponse<String> first = newAccount(raw, key, raw.newNonce());
        HttpResponse<String> second = newAccount(raw, key, replayNonce(first));
        HttpResponse<String> third = newAccount(raw, key, replayNonce(second));

        assertThat(first.statusCode()).isEqualTo(500);
        assertThat(header(first, "Content-Type")).hasValue(PROBLEM_JSON);
        assertThat(RawAcmeClient.json(first)).containsEntry("type", ERROR + "serverInternal");
        assertThat(RawAcmeClient.json(first)).containsEntry("status", 500L);
        assertThat(header(first, "Retry-After")).isEmpty();
        assertThat(second.statusCode()).isEqualTo(500);
        assertThat(third.statusCode()).isEqualTo(201);
        assertThat(hits(FaultKind.SERVER_ERROR_500)).isEqualTo(2);
        assertThat(logFor("newAccount")).extracting(RequestLogEntry::status)
                .containsExactly(500, 500, 201);
    }

    @Test
    void unavailableSendsRetryAfter() throws Exception {
        ca.inject(Fault.of(FaultKind.UNAVAILABLE_503, 1).withRetryAfter(Duration.ofMillis(1500))
                .onlyOn("newNonce"));
        ca.inject(Fault.of(FaultKind.UNAVAILABLE_503, 1).onlyOn("directory"));
        RawAcmeClient raw = new RawAcmeClient(ca);

        HttpResponse<Void> nonce = raw.head("/new-nonce");
        HttpResponse<String> directory = raw.get("/directory");
        HttpResponse<String> directoryAgain = raw.get("/directory");

        assertThat(nonce.statusCode()).isEqualTo(503);
        assertThat(header(nonce, "Retry-After")).hasValue("2");
        assertThat(directory.statusCode()).isEqualTo(503);
        assertThat(header(directory, "Retry-After")).hasValue("1");
        assertThat(header(directory, "Content-Type")).hasValue(PROBLEM_JSON);
        assertThat(RawAcmeClient.json(directory))
                .containsEntry("type", ERROR + "serverInternal").containsEntry("status", 503L);
        assertThat(directoryAgain.statusCode()).isEqualTo(200);
        assertThat(header(directoryAgain, "Retry-After")).isEmpty();
        assertThat(hits(FaultKind.UNAVAILABLE_503)).isEqualTo(2);
    }

    @Test
    void rateLimitedSendsRetryAfter() throws Exception {
        ca.inject(Fault.of(FaultKind.RATE_LIMITED_429, 1).withRetryAfter(Duration.ofSeconds(5))
                .onlyOn("newAccount"));
        RawAcmeClient raw = new RawAcmeClient(ca);
        KeyPair key = ecKey();

        HttpResponse<String> limited = newAccount(raw, key, raw.newNonce());
        HttpResponse<String> created = newAccount(raw, key, replayNonce(limited));

        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(header(limited, "Retry-After")).hasValue("5");
        assertThat(header(limited, "Content-Type")).hasValue(PROBLEM_JSON);
        assertThat(RawAcmeClient.json(limited)).containsEntry("type", ERROR + "rateLimited");
        assertThat(created.statusCode()).isEqualTo(201);
    }

    @Test
    void acme4jReportsRateLimitRetryAfter() throws Exception {
        Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(ecKey())
                .create(session());
        ca.inject(Fault.of(FaultKind.RATE_LIMITED_429, 1).withRetryAfter(Duration.ofSeconds(30))
                .onlyOn("newOrder"));
        Identifier identifier = new Identifier("email", "limited@example.test");
        Instant before = Instant.now();

        assertThatThrownBy(() -> account.newOrder().identifier(identifier).create())
                .isInstanceOfSatisfying(AcmeRateLimitedException.class, e -> {
                    assertThat(e.getType()).hasToString(ERROR + "rateLimited");
                    // acme4j adds the delta to the Date header, which has whole seconds.
                    assertThat(e.getRetryAfter()).hasValueSatisfying(retryAfter -> assertThat(
                            retryAfter).isBetween(before.plusSeconds(28), before.plusSeconds(32)));
                });
        Order order = account.newOrder().identifier(identifier).create();

        assertThat(order.getStatus()).hasToString("PENDING");
        assertThat(logFor("newOrder")).extracting(RequestLogEntry::status)
                .containsExactly(429, 201);
    }

    @Test
    void acme4jRetriesBadNonce() throws Exception {
        ca.inject(Fault.of(FaultKind.BAD_NONCE, 3));

        Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(ecKey())
                .create(session());

        assertThat(account.getLocation()).isNotNull();
        assertThat(hits(FaultKind.BAD_NONCE)).isEqualTo(3);
        List<RequestLogEntry> attempts = logFor("newAccount");
        assertThat(attempts).extracting(RequestLogEntry::status).containsExactly(400, 400, 400,
                201);
        assertThat(attempts).extracting(RequestLogEntry::fault).containsExactly(
                Optional.of(FaultKind.BAD_NONCE), Optional.of(FaultKind.BAD_NONCE),
                Optional.of(FaultKind.BAD_NONCE), Optional.empty());
        // acme4j read its first nonce from the directory response. The directory takes no JWS,
        // so BAD_NONCE does not apply to it.
        assertThat(logFor("directory")).isNotEmpty()
                .allSatisfy(entry -> assertThat(entry.fault()).isEmpty());
    }

    @Test
    void badNonceConsumesRejectedNonce() throws Exception {
        ca.inject(Fault.of(FaultKind.BAD_NONCE, 1).onlyOn("newAccount"));
        RawAcmeClient raw = new RawAcmeClient(ca);
        KeyPair key = ecKey();
        String nonce = raw.newNonce();

        HttpResponse<String> rejected = newAccount(raw, key, nonce);
        HttpResponse<String> replayed = newAccount(raw, key, nonce);
        HttpResponse<String> retried = newAccount(raw, key, replayNonce(rejected));

        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(header(rejected, "Content-Type")).hasValue(PROBLEM_JSON);
        assertThat(RawAcmeClient.json(rejected)).containsEntry("type", ERROR + "badNonce");
        assertThat(replayNonce(rejected)).isNotEqualTo(nonce);
        assertThat(replayed.statusCode()).isEqualTo(400);
        assertThat(RawAcmeClient.json(replayed)).containsEntry("type", ERROR + "badNonce");
        assertThat(retried.statusCode()).isEqualTo(201);
        assertThat(logFor("newAccount")).extracting(RequestLogEntry::fault).containsExactly(
                Optional.of(FaultKind.BAD_NONCE), Optional.empty(), Optional.empty());
    }

    @Test
    void slowResponsePassesClientTimeout() throws Exception {
        Session session = session();
        session.networkSettings().setTimeout(Duration.ofSeconds(1));
        session.getMetadata();
        ca.inject(Fault.of(FaultKind.SLOW_RESPONSE, 1).withDelay(Duration.ofSeconds(3))
                .onlyOn("newAccount"));
        KeyPair key = ecKey();

        assertThatThrownBy(() -> new AccountBuilder().agreeToTermsOfService().useKeyPair(key)
                .create(session))
                .isInstanceOf(AcmeNetworkException.class)
                .hasCauseInstanceOf(HttpTimeoutException.class);
        Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(key)
                .create(session);

        assertThat(account.getLocation()).isNotNull();
        assertThat(hits(FaultKind.SLOW_RESPONSE)).isEqualTo(1);
        List<RequestLogEntry> attempts = logFor("newAccount");
        // The CA created the account before it held the response back, so the retry finds the
        // account (200). The retry's nonce is fresh, because acme4j 4.0 reads the directory
        // again for each newAccount (the CA marks it no-store) and takes its Replay-Nonce.
        assertThat(attempts).extracting(RequestLogEntry::status).containsExactly(201, 200);
        assertThat(attempts).extracting(RequestLogEntry::fault).containsExactly(
                Optional.of(FaultKind.SLOW_RESPONSE), Optional.empty());
    }

    @Test
    void slowResponseArrivesAfterDelay() throws Exception {
        Duration delay = Duration.ofMillis(700);
        ca.inject(Fault.of(FaultKind.SLOW_RESPONSE, 1).withDelay(delay).onlyOn("directory"));
        RawAcmeClient raw = new RawAcmeClient(ca);

        Instant start = Instant.now();
        HttpResponse<String> slow = raw.get("/directory");
        Duration elapsed = Duration.between(start, Instant.now());

        assertThat(elapsed).isGreaterThanOrEqualTo(delay);
        assertThat(slow.statusCode()).isEqualTo(200);
        assertThat(RawAcmeClient.json(slow)).containsKey("newNonce");
        assertThat(raw.get("/directory").statusCode()).isEqualTo(200);
        assertThat(logFor("directory")).extracting(RequestLogEntry::fault)
                .containsExactly(Optional.of(FaultKind.SLOW_RESPONSE), Optional.empty());
    }

    @Test
    void refusedPeriodEndsOnSamePort() throws Exception {
        // No request before the fault: the CA counts a request as in progress until its handler
        // returns, which can be just after the client has read the response.
        int port = ca.directoryUrl().getPort();
        Duration period = Duration.ofMillis(1500);

        Instant start = Instant.now();
        ca.inject(Fault.refuseConnectionsFor(period));

        assertThatThrownBy(() -> connect(port)).isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> new RawAcmeClient(ca).head("/new-nonce"))
                .isInstanceOf(ConnectException.class);
        Instant recovered = awaitListening(port, Duration.ofSeconds(10));
        assertThat(Duration.between(start, recovered)).isGreaterThanOrEqualTo(period)
                .isLessThan(Duration.ofSeconds(5));
        HttpResponse<Void> after = new RawAcmeClient(ca).head("/new-nonce");

        assertThat(ca.directoryUrl().getPort()).isEqualTo(port);
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(header(after, "Replay-Nonce")).isPresent();
        assertThat(ca.requestLog()).noneMatch(entry -> entry.time().isAfter(start)
                && entry.time().isBefore(recovered));
        assertThat(hits(FaultKind.CONNECTION_REFUSED)).isZero();
    }

    @Test
    void refusalCutsRequestInProgress() throws Exception {
        ca.inject(Fault.of(FaultKind.SLOW_RESPONSE, 1).withDelay(Duration.ofSeconds(5))
                .onlyOn("directory"));
        CompletableFuture<HttpResponse<String>> inProgress = new RawAcmeClient(ca)
                .getAsync("/directory");
        awaitLogEntry("directory", Duration.ofSeconds(5));

        ca.inject(Fault.refuseConnectionsFor(Duration.ofMillis(300)));

        assertThat(hits(FaultKind.CONNECTION_REFUSED)).isEqualTo(1);
        assertThatThrownBy(() -> inProgress.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IOException.class);
        awaitListening(ca.directoryUrl().getPort(), Duration.ofSeconds(10));
        assertThat(new RawAcmeClient(ca).get("/directory").statusCode()).isEqualTo(200);
    }

    @Test
    void clearFaultsEndsEveryFault() throws Exception {
        ca.inject(Fault.of(FaultKind.SERVER_ERROR_500, 100));
        ca.inject(Fault.refuseConnectionsFor(Duration.ofMinutes(1)));
        assertThatThrownBy(() -> connect(ca.directoryUrl().getPort()))
                .isInstanceOf(ConnectException.class);

        ca.clearFaults();

        HttpResponse<Void> response = new RawAcmeClient(ca).head("/new-nonce");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(hits(FaultKind.SERVER_ERROR_500)).isZero();
    }

    @Test
    void faultsApplyInInjectionOrder() throws Exception {
        ca.inject(Fault.of(FaultKind.SERVER_ERROR_500, 1));
        ca.inject(Fault.of(FaultKind.RATE_LIMITED_429, 1));
        RawAcmeClient raw = new RawAcmeClient(ca);

        List<Integer> statuses = List.of(raw.head("/new-nonce").statusCode(),
                raw.head("/new-nonce").statusCode(), raw.head("/new-nonce").statusCode());

        assertThat(statuses).containsExactly(500, 429, 200);
        assertThat(logFor("newNonce")).extracting(RequestLogEntry::fault).containsExactly(
                Optional.of(FaultKind.SERVER_ERROR_500), Optional.of(FaultKind.RATE_LIMITED_429),
                Optional.empty());
    }

    @Test
    void postAsGetOrderFetchCounts() throws Exception {
        Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(ecKey())
                .create(session());
        Order order = account.newOrder()
                .identifier(new Identifier("email", "fetch@example.test")).create();
        ca.inject(Fault.of(FaultKind.SERVER_ERROR_500, 1).onlyOn("order"));

        assertThatThrownBy(order::fetch)
                .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                        e.getType()).hasToString(ERROR + "serverInternal"));
        order.fetch();

        assertThat(order.getStatus()).hasToString("PENDING");
        assertThat(logFor("order")).extracting(RequestLogEntry::status)
                .containsExactly(500, 200);
        assertThat(logFor("newOrder")).extracting(RequestLogEntry::fault)
                .containsExactly(Optional.empty());
    }

    @Test
    void requestLogRecordsEveryRequest() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        Instant start = Instant.now();

        raw.head("/new-nonce");
        raw.get("/directory");
        raw.post(raw.url("/nowhere"), "{}");
        Instant end = Instant.now();

        List<RequestLogEntry> log = ca.requestLog();
        assertThat(log).extracting(RequestLogEntry::method).containsExactly("HEAD", "GET",
                "POST");
        assertThat(log).extracting(RequestLogEntry::endpoint).containsExactly("newNonce",
                "directory", "unknown");
        assertThat(log).extracting(RequestLogEntry::path).containsExactly("/new-nonce",
                "/directory", "/nowhere");
        assertThat(log).extracting(RequestLogEntry::status).containsExactly(200, 200, 404);
        assertThat(log).allSatisfy(entry -> {
            assertThat(entry.fault()).isEmpty();
            assertThat(entry.time()).isBetween(start, end);
        });
        assertThat(ca.faultHits()).containsOnlyKeys(FaultKind.values())
                .allSatisfy((kind, count) -> assertThat(count).as(kind.name()).isZero());
    }

    @Test
    void logGivesRetriesAndRecoveryTime() throws Exception {
        ca.inject(Fault.of(FaultKind.UNAVAILABLE_503, 2).onlyOn("newNonce"));
        RawAcmeClient raw = new RawAcmeClient(ca);

        HttpResponse<Void> response = raw.head("/new-nonce");
        for (int retries = 0; response.statusCode() == 503 && retries < 5; retries++) {
            long seconds = Long.parseLong(header(response, "Retry-After").orElseThrow());
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            response = raw.head("/new-nonce");
        }

        List<RequestLogEntry> attempts = logFor("newNonce");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(attempts).hasSize(3);
        long faulted = attempts.stream().filter(entry -> entry.fault().isPresent()).count();
        Duration recovery = Duration.between(attempts.get(0).time(), attempts.get(2).time());
        assertThat(faulted).isEqualTo(2);
        assertThat(recovery).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void configuredFaultsStartActive() throws Exception {
        try (TestCa configured = mail.startCa(stateDirectory, builder -> builder
                .fault(Fault.of(FaultKind.SERVER_ERROR_500, 1).onlyOn("directory")))) {
            RawAcmeClient raw = new RawAcmeClient(configured);

            assertThat(raw.get("/directory").statusCode()).isEqualTo(500);
            assertThat(raw.get("/directory").statusCode()).isEqualTo(200);
            assertThat(configured.faultHits()).containsEntry(FaultKind.SERVER_ERROR_500, 1);
        }
    }

    private static void connect(int port) throws IOException {
        new Socket(InetAddress.getLoopbackAddress(), port).close();
    }

    /** Waits until a TCP connection to {@code port} succeeds and returns when it did. */
    private static Instant awaitListening(int port, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            try {
                connect(port);
                return Instant.now();
            } catch (ConnectException e) {
                assertThat(Instant.now()).as("listening again on port " + port)
                        .isBefore(deadline);
                Thread.sleep(50);
            }
        }
    }

    private void awaitLogEntry(String endpoint, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (logFor(endpoint).isEmpty()) {
            assertThat(Instant.now()).as("request log entry for " + endpoint)
                    .isBefore(deadline);
            Thread.sleep(20);
        }
    }
}
