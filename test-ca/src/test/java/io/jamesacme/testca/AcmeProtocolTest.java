package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Map;
import org.jose4j.base64url.Base64Url;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.connector.NonceHolder;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.toolbox.JSON;
import org.shredzone.acme4j.util.KeyPairUtils;

/** RFC 8555 behavior of the CA, driven by acme4j and by hand-made JWS requests. */
class AcmeProtocolTest {

    static {
        // acme4j's KeyPairUtils creates EC keys through the Bouncy Castle provider.
        Security.addProvider(new BouncyCastleProvider());
    }

    private static final String ERROR = "urn:ietf:params:acme:error:";

    @TempDir
    static Path stateDirectory;

    private static MailFixture mail;
    private static TestCa ca;

    @BeforeAll
    static void startCa() throws Exception {
        mail = new MailFixture();
        ca = mail.startCa(stateDirectory, builder -> builder);
    }

    @AfterAll
    static void stopCa() {
        ca.close();
        mail.close();
    }

    private static Session session() {
        return new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
    }

    private static Account newAccount(Session session, KeyPair key) throws Exception {
        return new AccountBuilder().agreeToTermsOfService().useKeyPair(key)
                .addEmail("admin@example.test").create(session);
    }

    @Test
    void directoryListsResourcesAndTerms() throws Exception {
        Session session = session();
        assertThat(ca.directoryUrl().toString()).startsWith("https://127.0.0.1:")
                .endsWith("/directory");
        assertThat(session.getMetadata().getTermsOfService()).isPresent();
        RawAcmeClient raw = new RawAcmeClient(ca);
        assertThat(raw.newNonce()).matches("[A-Za-z0-9_-]{22,}");
    }

    @Test
    void accountCreationIsIdempotentPerKey() throws Exception {
        KeyPair key = KeyPairUtils.createKeyPair();
        Account first = newAccount(session(), key);
        Account second = newAccount(session(), key);
        assertThat(first.getStatus()).hasToString("VALID");
        assertThat(second.getLocation()).isEqualTo(first.getLocation());
        assertThat(first.getContacts()).extracting(Object::toString)
                .containsExactly("mailto:admin@example.test");
    }

    @Test
    void onlyReturnExistingFailsForUnknownKey() {
        AccountBuilder builder = new AccountBuilder().onlyExisting()
                .useKeyPair(KeyPairUtils.createKeyPair());
        assertThatThrownBy(() -> builder.create(session()))
                .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                        e.getType()).hasToString(ERROR + "accountDoesNotExist"));
    }

    @Test
    void accountWithoutTermsAgreementRejected() {
        AccountBuilder builder = new AccountBuilder().useKeyPair(KeyPairUtils.createKeyPair());
        assertThatThrownBy(() -> builder.create(session()))
                .isInstanceOf(org.shredzone.acme4j.exception.AcmeException.class);
    }

    @Test
    void badNonceIsRetriedByAcme4j() throws Exception {
        Session session = session();
        session.getMetadata();
        try (NonceHolder holder = session.lockNonce()) {
            holder.setNonce(Base64Url.encode(new byte[16]));
        }
        Account account = newAccount(session, KeyPairUtils.createKeyPair());
        assertThat(account.getLocation()).isNotNull();
    }

    @Test
    void unknownNonceGivesBadNonceWithFreshNonce() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        String url = raw.url("/new-account");
        String body = RawAcmeClient.signWithJwk(KeyPairUtils.createECKeyPair("secp256r1"),
                "bm90LWlzc3VlZA", url, "{\"termsOfServiceAgreed\":true}");
        HttpResponse<String> response = raw.post(url, body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValue("application/problem+json");
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + "badNonce");
        assertThat(response.headers().firstValue("Replay-Nonce")).isPresent();
    }

    @Test
    void nonceIsSingleUse() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        String url = raw.url("/new-account");
        KeyPair key = KeyPairUtils.createECKeyPair("secp256r1");
        String nonce = raw.newNonce();
        String payload = "{\"termsOfServiceAgreed\":true}";
        HttpResponse<String> first = raw.post(url, RawAcmeClient.signWithJwk(key, nonce, url,
                payload));
        HttpResponse<String> second = raw.post(url, RawAcmeClient.signWithJwk(key, nonce, url,
                payload));
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.headers().firstValue("Location")).isPresent();
        assertThat(second.statusCode()).isEqualTo(400);
        assertThat(RawAcmeClient.json(second)).containsEntry("type", ERROR + "badNonce");
    }

    @Test
    void tamperedSignatureRejected() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        String url = raw.url("/new-account");
        String body = RawAcmeClient.signWithJwk(KeyPairUtils.createECKeyPair("secp256r1"),
                raw.newNonce(), url, "{\"termsOfServiceAgreed\":true}");
        Map<String, Object> jws = org.jose4j.json.JsonUtil.parseJson(body);
        byte[] signature = Base64Url.decode((String) jws.get("signature"));
        signature[5] ^= 0x01;
        String tampered = RawAcmeClient.flattened(jws.get("protected") + "."
                + jws.get("payload") + "." + Base64Url.encode(signature));
        HttpResponse<String> response = raw.post(url, tampered);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + "malformed");
        assertThat((String) RawAcmeClient.json(response).get("detail")).contains("signature");
    }

    @Test
    void signatureByOtherKeyRejected() throws Exception {
        Account account = newAccount(session(), KeyPairUtils.createECKeyPair("secp256r1"));
        RawAcmeClient raw = new RawAcmeClient(ca);
        String url = account.getLocation().toString();
        String body = RawAcmeClient.signWithKid(KeyPairUtils.createECKeyPair("secp256r1"),
                url, raw.newNonce(), url, "");
        HttpResponse<String> response = raw.post(url, body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + "malformed");
    }

    @Test
    void weakRsaAccountKeyIsBadPublicKey() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        String url = raw.url("/new-account");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        String body = RawAcmeClient.signWithJwk(generator.generateKeyPair(), raw.newNonce(),
                url, "{\"termsOfServiceAgreed\":true}");
        HttpResponse<String> response = raw.post(url, body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + "badPublicKey");
    }

    @Test
    void urlHeaderMismatchIsUnauthorized() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        String body = RawAcmeClient.signWithJwk(KeyPairUtils.createECKeyPair("secp256r1"),
                raw.newNonce(), raw.url("/new-order"), "{\"termsOfServiceAgreed\":true}");
        HttpResponse<String> response = raw.post(raw.url("/new-account"), body);
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + "unauthorized");
    }

    @Test
    void unknownKidIsAccountDoesNotExist() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        String url = raw.url("/new-order");
        String body = RawAcmeClient.signWithKid(KeyPairUtils.createECKeyPair("secp256r1"),
                raw.url("/acct/unknown"), raw.newNonce(), url, "{}");
        HttpResponse<String> response = raw.post(url, body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawAcmeClient.json(response))
                .containsEntry("type", ERROR + "accountDoesNotExist");
    }

    @Test
    void newOrderWithJwkInsteadOfKidRejected() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        String url = raw.url("/new-order");
        String body = RawAcmeClient.signWithJwk(KeyPairUtils.createECKeyPair("secp256r1"),
                raw.newNonce(), url, "{}");
        HttpResponse<String> response = raw.post(url, body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + "malformed");
    }

    @Test
    void emailOrderHasOneEmailReplyChallenge() throws Exception {
        Account account = newAccount(session(), KeyPairUtils.createKeyPair());
        Order order = account.newOrder()
                .identifier(new Identifier("email", "orders@example.test")).create();
        assertThat(order.getStatus()).hasToString("PENDING");
        List<Authorization> authorizations = order.getAuthorizations();
        assertThat(authorizations).hasSize(1);
        Authorization authorization = authorizations.get(0);
        assertThat(authorization.getIdentifier().getType()).isEqualTo("email");
        assertThat(authorization.getIdentifier().getValue()).isEqualTo("orders@example.test");
        assertThat(authorization.getStatus()).hasToString("PENDING");
        List<Challenge> challenges = authorization.getChallenges();
        assertThat(challenges).hasSize(1);
        Challenge challenge = challenges.get(0);
        JSON json = challenge.getJSON();
        assertThat(challenge.getType()).isEqualTo("email-reply-00");
        assertThat(challenge.getStatus()).hasToString("PENDING");
        assertThat(json.get("from").asString()).isEqualTo(MailFixture.CA_ADDRESS);
        assertThat(json.get("token").asString()).matches("[A-Za-z0-9_-]{22,}");
    }

    @Test
    void dnsIdentifierIsUnsupported() throws Exception {
        Account account = newAccount(session(), KeyPairUtils.createKeyPair());
        assertThatThrownBy(() -> account.newOrder().domain("example.test").create())
                .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                        e.getType()).hasToString(ERROR + "unsupportedIdentifier"));
    }

    @Test
    void malformedEmailIsRejected() throws Exception {
        Account account = newAccount(session(), KeyPairUtils.createKeyPair());
        for (String value : List.of("no-at-sign", "Alice <alice@example.test>", "a@")) {
            assertThatThrownBy(() -> account.newOrder()
                    .identifier(new Identifier("email", value)).create())
                    .as(value)
                    .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                            e.getType()).hasToString(ERROR + "rejectedIdentifier"));
        }
    }

    @Test
    void finalizeBeforeReadyIsOrderNotReady() throws Exception {
        KeyPair accountKey = KeyPairUtils.createKeyPair();
        Account account = newAccount(session(), accountKey);
        Order order = account.newOrder()
                .identifier(new Identifier("email", "early-finalize@example.test")).create();
        byte[] csr = CsrFactory.csr(KeyPairUtils.createKeyPair(2048),
                CsrFactory.emails("early-finalize@example.test"));
        assertThatThrownBy(() -> order.execute(csr))
                .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                        e.getType()).hasToString(ERROR + "orderNotReady"));
    }

    @Test
    void otherAccountCannotReadOrder() throws Exception {
        Account owner = newAccount(session(), KeyPairUtils.createKeyPair());
        Order order = owner.newOrder()
                .identifier(new Identifier("email", "owner@example.test")).create();
        URL orderUrl = order.getLocation();
        KeyPair otherKey = KeyPairUtils.createECKeyPair("secp256r1");
        Account other = newAccount(session(), otherKey);
        RawAcmeClient raw = new RawAcmeClient(ca);
        HttpResponse<String> response = raw.post(orderUrl.toString(), RawAcmeClient.signWithKid(
                otherKey, other.getLocation().toString(), raw.newNonce(), orderUrl.toString(),
                ""));
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + "unauthorized");
    }

    @Test
    void everyResponseCarriesReplayNonce() throws Exception {
        RawAcmeClient raw = new RawAcmeClient(ca);
        HttpResponse<String> notFound = raw.post(raw.url("/nowhere"), "{}");
        HttpResponse<String> wrongBody = raw.post(raw.url("/new-account"), "not json");
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.headers().firstValue("Replay-Nonce")).isPresent();
        assertThat(wrongBody.statusCode()).isEqualTo(400);
        assertThat(wrongBody.headers().firstValue("Replay-Nonce")).isPresent();
        assertThat(RawAcmeClient.json(wrongBody)).containsEntry("type", ERROR + "malformed");
    }
}
