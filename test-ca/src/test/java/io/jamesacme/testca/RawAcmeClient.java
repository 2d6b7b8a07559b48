package io.jamesacme.testca;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.JsonWebSignature;

/** HTTP client for requests that acme4j never sends, such as tampered JWS bodies. */
final class RawAcmeClient {

    /** Longer than every delay the tests inject, so that a hung CA fails the test. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    private final HttpClient http;
    private final String baseUrl;

    RawAcmeClient(TestCa ca) {
        this.http = HttpClient.newBuilder().sslContext(TrustStoreAcmeProvider.sslContext(ca))
                .build();
        String directory = ca.directoryUrl().toString();
        this.baseUrl = directory.substring(0, directory.length() - "/directory".length());
    }

    String url(String path) {
        return baseUrl + path;
    }

    private static HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT);
    }

    HttpResponse<Void> head(String path) throws Exception {
        return http.send(request(url(path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(request(url(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return http.sendAsync(request(url(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String newNonce() throws Exception {
        return head("/new-nonce").headers().firstValue("Replay-Nonce").orElseThrow();
    }

    /** Signs {@code payload} with a {@code jwk} header, as for newAccount. */
    static String signWithJwk(KeyPair key, String nonce, String url, String payload)
            throws Exception {
        JsonWebSignature jws = baseJws(key, nonce, url, payload);
        jws.setJwkHeader(PublicJsonWebKey.Factory.newPublicJwk(key.getPublic()));
        return flattened(jws.getCompactSerialization());
    }

    /** Signs {@code payload} with a {@code kid} header that contains the account URL. */
    static String signWithKid(KeyPair key, String kid, String nonce, String url, String payload)
            throws Exception {
        JsonWebSignature jws = baseJws(key, nonce, url, payload);
        jws.setKeyIdHeaderValue(kid);
        return flattened(jws.getCompactSerialization());
    }

    /**
     * Signs the inner JWS of a keyChange request with {@code newKey}: a {@code jwk} header and
     * {@code url}, but no {@code nonce}. {@code extraHeaders} adds protected header parameters,
     * such as a {@code kid} or a {@code nonce} that the CA must reject.
     */
    static String signKeyChangeInner(KeyPair newKey, String url, String payload,
            Map<String, String> extraHeaders) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setAlgorithmHeaderValue(algorithm(newKey));
        jws.setJwkHeader(PublicJsonWebKey.Factory.newPublicJwk(newKey.getPublic()));
        jws.setHeader("url", url);
        extraHeaders.forEach(jws::setHeader);
        jws.setPayload(payload);
        jws.setKey(newKey.getPrivate());
        jws.setDoKeyValidation(false);
        return flattened(jws.getCompactSerialization());
    }

    private static JsonWebSignature baseJws(KeyPair key, String nonce, String url,
            String payload) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setAlgorithmHeaderValue(algorithm(key));
        jws.setHeader("nonce", nonce);
        jws.setHeader("url", url);
        jws.setPayload(payload);
        jws.setKey(key.getPrivate());
        // Signs with RSA keys below 2048 bits too, so tests can check that the CA rejects them.
        jws.setDoKeyValidation(false);
        return jws;
    }

    /** Returns RS256 for an RSA key and ES256 for any other, which must be a P-256 key. */
    private static String algorithm(KeyPair key) {
        return "RSA".equals(key.getPrivate().getAlgorithm()) ? "RS256" : "ES256";
    }

    static String flattened(String compact) {
        String[] parts = compact.split("\\.", -1);
        return JsonUtil.toJson(Map.of("protected", parts[0], "payload", parts[1],
                "signature", parts[2]));
    }

    HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(request(url)
                .header("Content-Type", "application/jose+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static Map<String, Object> json(HttpResponse<String> response) throws Exception {
        return JsonUtil.parseJson(response.body());
    }
}
