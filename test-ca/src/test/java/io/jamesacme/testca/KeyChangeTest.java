package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.mail.internet.MimeMessage;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.jose4j.base64url.Base64Url;
import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.toolbox.JoseUtils;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * Account key rollover (RFC 8555 section 7.3.5): the acme4j client's changeKey, and hand-made
 * keyChange requests that fail one check each.
 */
class KeyChangeTest {

    static {
        // acme4j's KeyPairUtils creates EC keys through the Bouncy Castle provider.
        Security.addProvider(new BouncyCastleProvider());
    }

    private static final String ERROR = "urn:ietf:params:acme:error:";

    @TempDir
    static Path stateDirectory;

    private static MailFixture mail;
    private static TestCa ca;
    private static RawAcmeClient raw;

    @BeforeAll
    static void startCa() throws Exception {
        mail = new MailFixture();
        ca = mail.startCa(stateDirectory, builder -> builder);
        raw = new RawAcmeClient(ca);
    }

    @AfterAll
    static void stopCa() {
        ca.close();
        mail.close();
    }

    /** Account created by acme4j, for hand-made requests signed with its key. */
    private record RawAccount(KeyPair key, String url) {
    }

    private static Session session() {
        return new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
    }

    private static KeyPair ecKey() {
        return KeyPairUtils.createECKeyPair("secp256r1");
    }

    private static Account newAccount(KeyPair key) throws Exception {
        return new AccountBuilder().agreeToTermsOfService().useKeyPair(key)
                .addEmail("admin@example.test").create(session());
    }

    private static RawAccount rawAccount() throws Exception {
        KeyPair key = ecKey();
        return new RawAccount(key, newAccount(key).getLocation().toString());
    }

    private static String keyChangeUrl() {
        return raw.url("/key-change");
    }

    /** Returns the keyChange object {@code {"account": <URL>, "oldKey": <JWK>}} as JSON. */
    private static String keyChangeObject(String accountUrl, PublicKey oldKey) throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("account", accountUrl);
        json.put("oldKey", PublicJsonWebKey.Factory.newPublicJwk(oldKey)
                .toParams(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        return JsonUtil.toJson(json);
    }

    /** Returns a well-formed inner JWS that rolls {@code account} over to {@code newKey}. */
    private static String validInner(RawAccount account, KeyPair newKey) throws Exception {
        return RawAcmeClient.signKeyChangeInner(newKey, keyChangeUrl(),
                keyChangeObject(account.url(), account.key().getPublic()), Map.of());
    }

    /** Posts {@code innerJws} as the payload of an outer JWS signed by the account's key. */
    private static HttpResponse<String> postKeyChange(RawAccount account, String innerJws)
            throws Exception {
        String url = keyChangeUrl();
        return raw.post(url, RawAcmeClient.signWithKid(account.key(), account.url(),
                raw.newNonce(), url, innerJws));
    }

    /** Fetches the account with POST-as-GET, signed with {@code key}. */
    private static HttpResponse<String> fetchAccount(RawAccount account, KeyPair key)
            throws Exception {
        return raw.post(account.url(), RawAcmeClient.signWithKid(key, account.url(),
                raw.newNonce(), account.url(), ""));
    }

    /** Sends newAccount with onlyReturnExisting, signed with {@code key}. */
    private static HttpResponse<String> lookUpAccount(KeyPair key) throws Exception {
        String url = raw.url("/new-account");
        return raw.post(url, RawAcmeClient.signWithJwk(key, raw.newNonce(), url,
                "{\"onlyReturnExisting\":true}"));
    }

    /** Checks that a rejected rollover left the account on its old key only. */
    private static void assertKeyUnchanged(RawAccount account, KeyPair rejectedKey)
            throws Exception {
        assertThat(fetchAccount(account, account.key()).statusCode())
                .as("fetch signed with the old key").isEqualTo(200);
        HttpResponse<String> lookUp = lookUpAccount(rejectedKey);
        assertThat(lookUp.statusCode()).as("look-up by the rejected key").isEqualTo(400);
        assertThat(RawAcmeClient.json(lookUp))
                .containsEntry("type", ERROR + "accountDoesNotExist");
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type)
            throws Exception {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValue("application/problem+json");
        assertThat(RawAcmeClient.json(response)).containsEntry("type", ERROR + type);
    }

    private static String detail(HttpResponse<String> response) throws Exception {
        return (String) RawAcmeClient.json(response).get("detail");
    }

    @Test
    void directoryListsKeyChange() throws Exception {
        HttpResponse<String> directory = raw.get("/directory");
        assertThat(directory.statusCode()).isEqualTo(200);
        assertThat(RawAcmeClient.json(directory)).containsEntry("keyChange", keyChangeUrl());
    }

    @Test
    void rolloverKeepsAccountUrl() throws Exception {
        KeyPair oldKey = ecKey();
        KeyPair newKey = ecKey();
        Account account = newAccount(oldKey);
        URL location = account.getLocation();
        int accountsBefore = ca.accountCount();

        account.changeKey(newKey);

        Account found = new AccountBuilder().onlyExisting().useKeyPair(newKey)
                .create(session());
        assertThat(found.getLocation()).isEqualTo(location);
        account.fetch();
        assertThat(account.getStatus()).isEqualTo(Status.VALID);
        assertThat(account.getContacts()).extracting(Object::toString)
                .containsExactly("mailto:admin@example.test");
        assertThat(ca.accountCount()).isEqualTo(accountsBefore);
    }

    @Test
    void newKeySignsNewOrder() throws Exception {
        KeyPair newKey = ecKey();
        Account account = newAccount(ecKey());
        account.changeKey(newKey);

        Order order = account.newOrder()
                .identifier(new Identifier("email", "rolled-order@example.test")).create();
        assertThat(order.getStatus()).isEqualTo(Status.PENDING);

        Account reloaded = session().login(account.getLocation(), newKey).getAccount();
        assertThat(reloaded.getOrders()).toIterable().extracting(Order::getLocation)
                .containsExactly(order.getLocation());
    }

    @Test
    void oldKeyRejectedAfterRollover() throws Exception {
        KeyPair oldKey = ecKey();
        Account account = newAccount(oldKey);
        account.changeKey(ecKey());

        assertThatThrownBy(() -> new AccountBuilder().onlyExisting().useKeyPair(oldKey)
                .create(session()))
                .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                        e.getType()).hasToString(ERROR + "accountDoesNotExist"));
        Account withOldKey = session().login(account.getLocation(), oldKey).getAccount();
        assertThatThrownBy(withOldKey::fetch)
                .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                        e.getType()).hasToString(ERROR + "malformed"));
        assertThatThrownBy(() -> withOldKey.newOrder()
                .identifier(new Identifier("email", "old-key@example.test")).create())
                .isInstanceOf(AcmeServerException.class);
    }

    @Test
    void rawRolloverReturnsAccount() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();

        HttpResponse<String> response = postKeyChange(account, validInner(account, newKey));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Location")).hasValue(account.url());
        assertThat(RawAcmeClient.json(response)).containsEntry("status", "valid");
        assertThat(fetchAccount(account, newKey).statusCode()).isEqualTo(200);
        HttpResponse<String> withOldKey = fetchAccount(account, account.key());
        assertProblem(withOldKey, 400, "malformed");
        assertThat(detail(withOldKey)).contains("signature");
        HttpResponse<String> lookUp = lookUpAccount(newKey);
        assertThat(lookUp.statusCode()).isEqualTo(200);
        assertThat(lookUp.headers().firstValue("Location")).hasValue(account.url());
    }

    @Test
    void rolledOverAccountGetsCertificate() throws Exception {
        String address = "rolled-over@example.test";
        KeyPair newKey = ecKey();
        Account account = newAccount(ecKey());
        account.changeKey(newKey);
        Order order = account.newOrder().identifier(new Identifier("email", address)).create();
        Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
        MimeMessage challengeMail = mail.awaitChallengeMail(address, Duration.ofSeconds(10));
        String tokenPart1 = challengeMail.getSubject().substring("ACME: ".length());
        String tokenPart2 = challenge.getJSON().get("token").asString();

        // The key authorization names the account key, so it must be the new key's thumbprint.
        String keyAuthorization = tokenPart1 + tokenPart2 + "."
                + Base64Url.encode(JoseUtils.thumbprint(newKey.getPublic()));
        String digest = Base64Url.encode(MessageDigest.getInstance("SHA-256")
                .digest(keyAuthorization.getBytes(StandardCharsets.UTF_8)));
        mail.sendToCa(address, "Re: ACME: " + tokenPart1, "-----BEGIN ACME RESPONSE-----\r\n"
                + digest + "\r\n-----END ACME RESPONSE-----\r\n");
        challenge.trigger();
        assertThat(challenge.waitForCompletion(Duration.ofSeconds(15))).isEqualTo(Status.VALID);
        assertThat(order.waitUntilReady(Duration.ofSeconds(5))).isEqualTo(Status.READY);
        order.execute(CsrFactory.csr(KeyPairUtils.createKeyPair(2048),
                CsrFactory.emails(address)));
        assertThat(order.waitForCompletion(Duration.ofSeconds(5))).isEqualTo(Status.VALID);

        X509Certificate leaf = order.getCertificate().getCertificate();
        assertThat(ca.issuedCertificates(address)).containsExactly(leaf);
    }

    @Test
    void faultOnKeyChangeKeepsOldKey() throws Exception {
        KeyPair oldKey = ecKey();
        KeyPair newKey = ecKey();
        Account account = newAccount(oldKey);
        ca.inject(Fault.of(FaultKind.SERVER_ERROR_500, 1).onlyOn("keyChange"));
        try {
            assertThatThrownBy(() -> account.changeKey(newKey))
                    .isInstanceOfSatisfying(AcmeServerException.class, e -> assertThat(
                            e.getType()).hasToString(ERROR + "serverInternal"));
        } finally {
            ca.clearFaults();
        }
        Account withOldKey = session().login(account.getLocation(), oldKey).getAccount();
        withOldKey.fetch();
        assertThat(withOldKey.getStatus()).isEqualTo(Status.VALID);

        account.changeKey(newKey);
        List<RequestLogEntry> keyChanges = ca.requestLog().stream()
                .filter(entry -> entry.endpoint().equals("keyChange")).toList();
        assertThat(keyChanges).extracting(RequestLogEntry::status).endsWith(500, 200);
        assertThat(keyChanges).extracting(RequestLogEntry::fault)
                .endsWith(Optional.of(FaultKind.SERVER_ERROR_500), Optional.empty());
        assertThat(keyChanges).extracting(RequestLogEntry::path).containsOnly("/key-change");
    }

    @Test
    void badInnerSignatureIsMalformed() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();
        Map<String, Object> inner = JsonUtil.parseJson(validInner(account, newKey));
        byte[] signature = Base64Url.decode((String) inner.get("signature"));
        signature[5] ^= 0x01;
        String tampered = RawAcmeClient.flattened(inner.get("protected") + "."
                + inner.get("payload") + "." + Base64Url.encode(signature));

        HttpResponse<String> response = postKeyChange(account, tampered);

        assertProblem(response, 400, "malformed");
        assertThat(detail(response)).contains("inner JWS signature");
        assertKeyUnchanged(account, newKey);
    }

    @Test
    void innerUrlMismatchIsUnauthorized() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();
        String inner = RawAcmeClient.signKeyChangeInner(newKey, raw.url("/new-order"),
                keyChangeObject(account.url(), account.key().getPublic()), Map.of());

        HttpResponse<String> response = postKeyChange(account, inner);

        assertProblem(response, 403, "unauthorized");
        assertThat(detail(response)).contains("'url'");
        assertKeyUnchanged(account, newKey);
    }

    @Test
    void wrongOldKeyIsUnauthorized() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();
        String inner = RawAcmeClient.signKeyChangeInner(newKey, keyChangeUrl(),
                keyChangeObject(account.url(), ecKey().getPublic()), Map.of());

        HttpResponse<String> response = postKeyChange(account, inner);

        assertProblem(response, 403, "unauthorized");
        assertThat(detail(response)).contains("'oldKey'");
        assertKeyUnchanged(account, newKey);
    }

    @Test
    void otherAccountInPayloadIsUnauthorized() throws Exception {
        RawAccount account = rawAccount();
        RawAccount other = rawAccount();
        KeyPair newKey = ecKey();
        String inner = RawAcmeClient.signKeyChangeInner(newKey, keyChangeUrl(),
                keyChangeObject(other.url(), account.key().getPublic()), Map.of());

        HttpResponse<String> response = postKeyChange(account, inner);

        assertProblem(response, 403, "unauthorized");
        assertThat(detail(response)).contains("'account'");
        assertKeyUnchanged(account, newKey);
        assertKeyUnchanged(other, newKey);
    }

    @Test
    void innerKidIsMalformed() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();
        String inner = RawAcmeClient.signKeyChangeInner(newKey, keyChangeUrl(),
                keyChangeObject(account.url(), account.key().getPublic()),
                Map.of("kid", account.url()));

        HttpResponse<String> response = postKeyChange(account, inner);

        assertProblem(response, 400, "malformed");
        assertThat(detail(response)).contains("'kid'");
        assertKeyUnchanged(account, newKey);
    }

    @Test
    void innerNonceIsMalformed() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();
        String inner = RawAcmeClient.signKeyChangeInner(newKey, keyChangeUrl(),
                keyChangeObject(account.url(), account.key().getPublic()),
                Map.of("nonce", raw.newNonce()));

        HttpResponse<String> response = postKeyChange(account, inner);

        assertProblem(response, 400, "malformed");
        assertThat(detail(response)).contains("'nonce'");
        assertKeyUnchanged(account, newKey);
    }

    @Test
    void innerWithoutJwkIsMalformed() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();
        String inner = RawAcmeClient.signWithKid(newKey, account.url(), raw.newNonce(),
                keyChangeUrl(), keyChangeObject(account.url(), account.key().getPublic()));

        HttpResponse<String> response = postKeyChange(account, inner);

        assertProblem(response, 400, "malformed");
        assertThat(detail(response)).contains("'jwk'");
        assertKeyUnchanged(account, newKey);
    }

    @Test
    void payloadWithoutInnerJwsIsMalformed() throws Exception {
        RawAccount account = rawAccount();
        KeyPair newKey = ecKey();
        List<String> payloads = List.of("",
                keyChangeObject(account.url(), account.key().getPublic()));
        for (String payload : payloads) {
            HttpResponse<String> response = postKeyChange(account, payload);
            assertProblem(response, 400, "malformed");
        }
        String noOldKey = RawAcmeClient.signKeyChangeInner(newKey, keyChangeUrl(),
                JsonUtil.toJson(Map.of("account", account.url())), Map.of());
        HttpResponse<String> response = postKeyChange(account, noOldKey);
        assertProblem(response, 400, "malformed");
        assertThat(detail(response)).contains("'oldKey'");
        assertKeyUnchanged(account, newKey);
    }

    @Test
    void currentKeyAsNewKeyIsMalformed() throws Exception {
        RawAccount account = rawAccount();

        HttpResponse<String> response = postKeyChange(account,
                validInner(account, account.key()));

        assertProblem(response, 400, "malformed");
        assertThat(detail(response)).contains("current key");
        assertThat(fetchAccount(account, account.key()).statusCode()).isEqualTo(200);
    }

    @Test
    void keyOfOtherAccountIsConflict() throws Exception {
        RawAccount account = rawAccount();
        RawAccount other = rawAccount();

        HttpResponse<String> response = postKeyChange(account, validInner(account, other.key()));

        assertProblem(response, 409, "malformed");
        assertThat(response.headers().firstValue("Location")).hasValue(other.url());
        assertThat(fetchAccount(account, account.key()).statusCode()).isEqualTo(200);
        HttpResponse<String> lookUp = lookUpAccount(other.key());
        assertThat(lookUp.statusCode()).isEqualTo(200);
        assertThat(lookUp.headers().firstValue("Location")).hasValue(other.url());
    }

    @Test
    void weakRsaNewKeyIsBadPublicKey() throws Exception {
        RawAccount account = rawAccount();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        KeyPair weakKey = generator.generateKeyPair();

        HttpResponse<String> response = postKeyChange(account, validInner(account, weakKey));

        assertProblem(response, 400, "badPublicKey");
        assertThat(detail(response)).contains("2048");
        assertThat(fetchAccount(account, account.key()).statusCode()).isEqualTo(200);
    }

    @Test
    void deactivatedAccountCannotChangeKey() throws Exception {
        KeyPair key = ecKey();
        Account account = newAccount(key);
        account.deactivate();
        RawAccount rawAccount = new RawAccount(key, account.getLocation().toString());
        KeyPair newKey = ecKey();

        HttpResponse<String> response = postKeyChange(rawAccount,
                validInner(rawAccount, newKey));

        assertProblem(response, 403, "unauthorized");
        assertThat(detail(response)).contains("deactivated");
        HttpResponse<String> lookUp = lookUpAccount(newKey);
        assertProblem(lookUp, 400, "accountDoesNotExist");
    }
}
