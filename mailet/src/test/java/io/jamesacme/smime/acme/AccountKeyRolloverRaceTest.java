package io.jamesacme.smime.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.apache.commons.configuration2.MapConfiguration;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jose4j.jwk.JsonWebKey.OutputControlLevel;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.state.AccountRecord;
import io.jamesacme.smime.state.FileStateStore;
import io.jamesacme.smime.state.StateStore;

/**
 * A key rollover on one node while another node on the same store logs in, against a minimal
 * ACME server on loopback. The server verifies no signature. It tracks which public key the
 * account has, returns the account to a newAccount request only for that key, and applies a
 * keyChange when the test releases it, as a CA does once the request has crossed the network.
 */
class AccountKeyRolloverRaceTest {
    private static final String TRUST_STORE_PASSWORD = "changeit";

    @TempDir
    Path storage;

    private FakeAcmeServer ca;
    private ExecutorService executor;

    @BeforeEach
    void startServer() throws Exception {
        ca = FakeAcmeServer.start();
        executor = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stopServer() {
        executor.shutdownNow();
        ca.stop();
    }

    /** Checks the fake server, because a rollover with no other node must store the CA's key. */
    @Test
    void rolloverStoresTheCaKey() throws Exception {
        KeyPair oldKey = newEcKey();
        ca.setAccountKey(oldKey.getPublic());
        try (StateStore store = FileStateStore.open(storage.resolve("state"))) {
            store.createAccountIfAbsent(new AccountRecord(oldKey.getPrivate().getEncoded(),
                oldKey.getPublic().getEncoded(), Optional.of(ca.accountUrl()), Instant.now()));
            AccountManager node = new AccountManager(configuration(), store, Clock.systemUTC());

            assertThat(node.rolloverKey()).isEqualTo(ca.accountUrl());

            AccountRecord stored = store.account().orElseThrow();
            assertThat(stored.hasNewKey()).isFalse();
            assertThat(FakeAcmeServer.jwkX(publicKey(stored.publicKey()))).isEqualTo(ca.accountKeyX());
            assertThat(ca.accountKeyX()).isNotEqualTo(FakeAcmeServer.jwkX(oldKey.getPublic()));
        }
    }

    /**
     * Node 2 logs in, as every order step does, while node 1's keyChange is on its way to the
     * CA. Node 2 finds the rollover in the store, requests the account by the new key,
     * gets accountDoesNotExist and drops the new key. The CA then applies the keyChange, so the
     * account ends with a key that no node has stored.
     */
    @Test
    void loginDuringRolloverKeepsTheCaKey() throws Exception {
        KeyPair oldKey = newEcKey();
        ca.setAccountKey(oldKey.getPublic());
        try (StateStore node1Store = FileStateStore.open(storage.resolve("state"));
             StateStore node2Store = FileStateStore.open(storage.resolve("state"))) {
            node1Store.createAccountIfAbsent(new AccountRecord(oldKey.getPrivate().getEncoded(),
                oldKey.getPublic().getEncoded(), Optional.of(ca.accountUrl()), Instant.now()));
            AccountManager node1 = new AccountManager(configuration(), node1Store, Clock.systemUTC());
            AccountManager node2 = new AccountManager(configuration(), node2Store, Clock.systemUTC());

            ca.holdKeyChanges();
            Future<String> rollover = executor.submit(node1::rolloverKey);
            assertThat(ca.awaitKeyChangeReceived()).as("keyChange reached the CA").isTrue();
            node2.login();
            ca.releaseKeyChanges();
            try {
                rollover.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                // The route may report a failed rollover, but the stored key must still work.
            }

            AccountRecord stored = node1Store.account().orElseThrow();
            assertThat(stored.hasNewKey()).isFalse();
            assertThat(FakeAcmeServer.jwkX(publicKey(stored.publicKey())))
                .as("x coordinate of the stored account key, against the key the CA has")
                .isEqualTo(ca.accountKeyX());
        }
    }

    /**
     * The keyChange reaches the CA, but the CA applies it only after the client's acme.timeout.
     * The README promises that a timeout loses no key. The client checks at once, gets
     * accountDoesNotExist for the new key and drops it, and the CA applies the change later.
     */
    @Test
    void timedOutRolloverKeepsTheCaKey() throws Exception {
        KeyPair oldKey = newEcKey();
        ca.setAccountKey(oldKey.getPublic());
        try (StateStore store = FileStateStore.open(storage.resolve("state"))) {
            store.createAccountIfAbsent(new AccountRecord(oldKey.getPrivate().getEncoded(),
                oldKey.getPublic().getEncoded(), Optional.of(ca.accountUrl()), Instant.now()));
            AccountManager node = new AccountManager(configuration("1s"), store, Clock.systemUTC());

            ca.holdKeyChanges();
            Future<String> rollover = executor.submit(node::rolloverKey);
            try {
                rollover.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                // The route reports 502 after the timeout, which is expected here.
            }
            ca.releaseKeyChanges();
            assertThat(ca.awaitKeyChangeApplied()).as("the CA applied the keyChange").isTrue();

            AccountRecord stored = store.account().orElseThrow();
            boolean storesCaKey = FakeAcmeServer.jwkX(publicKey(stored.publicKey())).equals(ca.accountKeyX())
                || (stored.newPublicKey().isPresent()
                    && FakeAcmeServer.jwkX(publicKey(stored.newPublicKey().get())).equals(ca.accountKeyX()));
            assertThat(storesCaKey).as("the store keeps the key the CA has, as account key or rollover key")
                .isTrue();
        }
    }

    private AcmeSmimeConfiguration configuration() throws Exception {
        return configuration("10s");
    }

    private AcmeSmimeConfiguration configuration(String acmeTimeout) throws Exception {
        Path trustStore = storage.resolve("ca-trust.p12");
        if (!Files.exists(trustStore)) {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setCertificateEntry("fake-acme", ca.certificate());
            try (OutputStream out = Files.newOutputStream(trustStore)) {
                keyStore.store(out, TRUST_STORE_PASSWORD.toCharArray());
            }
        }
        return AcmeSmimeConfiguration.from(new MapConfiguration(Map.of(
                AcmeSmimeConfiguration.DIRECTORY, ca.baseUrl() + "/directory",
                AcmeSmimeConfiguration.TRUST_STORE, trustStore.toString(),
                AcmeSmimeConfiguration.TRUST_STORE_PASSWORD, TRUST_STORE_PASSWORD,
                AcmeSmimeConfiguration.ACME_TIMEOUT, acmeTimeout,
                AcmeSmimeConfiguration.STORAGE_DIRECTORY, storage.toString(),
                AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "env:UNUSED")),
            storage, name -> Optional.empty());
    }

    private static KeyPair newEcKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static PublicKey publicKey(byte[] x509) throws Exception {
        return KeyFactory.getInstance("EC")
            .generatePublic(new X509EncodedKeySpec(x509));
    }

    /**
     * An ACME server over HTTPS on 127.0.0.1 with the directory, newNonce, newAccount and
     * keyChange resources of one account, enough for {@link AccountManager}'s login and
     * rollover.
     */
    private static final class FakeAcmeServer {
        private static final ObjectMapper JSON = new ObjectMapper();

        private final HttpsServer server;
        private final X509Certificate certificate;
        private final ExecutorService handlers = Executors.newCachedThreadPool();
        private volatile String accountKeyX;
        private volatile CountDownLatch keyChangeRelease = new CountDownLatch(0);
        private final CountDownLatch keyChangeReceived = new CountDownLatch(1);
        private final CountDownLatch keyChangeApplied = new CountDownLatch(1);

        private FakeAcmeServer(HttpsServer server, X509Certificate certificate) {
            this.server = server;
            this.certificate = certificate;
        }

        static FakeAcmeServer start() throws Exception {
            KeyPair tlsKey = newEcKey();
            X509Certificate certificate = selfSigned(tlsKey);
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("tls", tlsKey.getPrivate(), TRUST_STORE_PASSWORD.toCharArray(),
                new X509Certificate[] {certificate});
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keyStore, TRUST_STORE_PASSWORD.toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(keyManagers.getKeyManagers(), null, null);

            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            FakeAcmeServer fake = new FakeAcmeServer(server, certificate);
            server.setExecutor(fake.handlers);
            server.createContext("/", fake::handle);
            server.start();
            return fake;
        }

        void stop() {
            keyChangeRelease.countDown();
            server.stop(0);
            handlers.shutdownNow();
        }

        String baseUrl() {
            return "https://127.0.0.1:" + server.getAddress().getPort();
        }

        String accountUrl() {
            return baseUrl() + "/acct/1";
        }

        X509Certificate certificate() {
            return certificate;
        }

        void setAccountKey(PublicKey key) throws Exception {
            accountKeyX = jwkX(key);
        }

        String accountKeyX() {
            return accountKeyX;
        }

        void holdKeyChanges() {
            keyChangeRelease = new CountDownLatch(1);
        }

        boolean awaitKeyChangeReceived() throws InterruptedException {
            return keyChangeReceived.await(10, TimeUnit.SECONDS);
        }

        boolean awaitKeyChangeApplied() throws InterruptedException {
            return keyChangeApplied.await(10, TimeUnit.SECONDS);
        }

        void releaseKeyChanges() {
            keyChangeRelease.countDown();
        }

        static String jwkX(PublicKey key) throws Exception {
            return String.valueOf(PublicJsonWebKey.Factory.newPublicJwk(key)
                .toParams(OutputControlLevel.PUBLIC_ONLY).get("x"));
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                exchange.getResponseHeaders().add("Replay-Nonce", UUID.randomUUID().toString().replace("-", ""));
                exchange.getResponseHeaders().add("Cache-Control", "no-store");
                String path = exchange.getRequestURI().getPath();
                if (exchange.getRequestMethod().equals("HEAD") || path.equals("/nonce")) {
                    exchange.sendResponseHeaders(200, -1);
                    return;
                }
                switch (path) {
                    case "/directory" -> json(exchange, 200, "{\"newNonce\":\"" + baseUrl() + "/nonce\","
                        + "\"newAccount\":\"" + baseUrl() + "/new-account\","
                        + "\"newOrder\":\"" + baseUrl() + "/new-order\","
                        + "\"keyChange\":\"" + baseUrl() + "/key-change\",\"meta\":{}}");
                    case "/new-account" -> newAccount(exchange);
                    case "/key-change" -> keyChange(exchange);
                    default -> problem(exchange, 404, "malformed", "not found: " + path);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void newAccount(HttpExchange exchange) throws IOException {
            JsonNode header = part(body(exchange), "protected");
            if (!header.path("jwk").path("x").asText().equals(accountKeyX)) {
                problem(exchange, 400, "accountDoesNotExist", "no account has this key");
                return;
            }
            exchange.getResponseHeaders().add("Location", accountUrl());
            json(exchange, 200, "{\"status\":\"valid\",\"orders\":\"" + accountUrl() + "/orders\"}");
        }

        private void keyChange(HttpExchange exchange) throws IOException, InterruptedException {
            JsonNode inner = JSON.readTree(decode(body(exchange).path("payload").asText()));
            String newKeyX = part(inner, "protected").path("jwk").path("x").asText();
            keyChangeReceived.countDown();
            keyChangeRelease.await(20, TimeUnit.SECONDS);
            accountKeyX = newKeyX;
            keyChangeApplied.countDown();
            json(exchange, 200, "{\"status\":\"valid\",\"orders\":\"" + accountUrl() + "/orders\"}");
        }

        private static JsonNode body(HttpExchange exchange) throws IOException {
            return JSON.readTree(exchange.getRequestBody().readAllBytes());
        }

        private static JsonNode part(JsonNode jws, String name) throws IOException {
            return JSON.readTree(decode(jws.path(name).asText()));
        }

        private static byte[] decode(String base64Url) {
            return Base64.getUrlDecoder().decode(base64Url);
        }

        private static void json(HttpExchange exchange, int status, String body) throws IOException {
            send(exchange, status, "application/json", body);
        }

        private static void problem(HttpExchange exchange, int status, String type, String detail)
                throws IOException {
            send(exchange, status, "application/problem+json", "{\"type\":\"urn:ietf:params:acme:error:"
                + type + "\",\"detail\":\"" + detail + "\"}");
        }

        private static void send(HttpExchange exchange, int status, String contentType, String body)
                throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", contentType);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        }

        private static X509Certificate selfSigned(KeyPair key) throws Exception {
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=fake ACME server");
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofMinutes(1))),
                Date.from(now.plus(Duration.ofDays(1))), name, key.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
            return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
        }
    }
}
