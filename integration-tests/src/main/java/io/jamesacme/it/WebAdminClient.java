package io.jamesacme.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Client of the James WebAdmin REST API, for the calls that tests and the demo make. */
public final class WebAdminClient {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUri;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public WebAdminClient(URI baseUri) {
        this.baseUri = baseUri;
    }

    public URI baseUri() {
        return baseUri;
    }

    /** Creates a hosted domain ({@code PUT /domains/{domain}}). */
    public void createDomain(String domain) {
        HttpResponse<String> response = send(request("/domains/" + domain).PUT(HttpRequest.BodyPublishers.noBody()));
        expectStatus(response, 204, "create domain " + domain);
    }

    /** Creates a user ({@code PUT /users/{address}}) with a password. */
    public void createUser(String address, String password) {
        String body = JSON.createObjectNode().put("password", password).toString();
        HttpResponse<String> response = send(request("/users/" + address)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
        expectStatus(response, 204, "create user " + address);
    }

    /**
     * Reads the certificate status of a user ({@code GET /acme-smime/certificates/{address}}).
     *
     * @return empty when WebAdmin returns 404 (no such user)
     */
    public Optional<CertificateStatus> certificateStatus(String address) {
        HttpResponse<String> response = send(request(certificatePath(address)).GET());
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        expectStatus(response, 200, "read the certificate status of " + address);
        return Optional.of(parseStatus(response.body()));
    }

    /** Requests a certificate now ({@code POST /acme-smime/certificates/{address}}). */
    public CertificateStatus requestCertificate(String address) {
        HttpResponse<String> response = send(request(certificatePath(address)).POST(HttpRequest.BodyPublishers.noBody()));
        expectStatus(response, 202, "request a certificate for " + address);
        return parseStatus(response.body());
    }

    /**
     * Lists the orders of a user, oldest first ({@code GET /acme-smime/certificates/{address}/orders}):
     * a JSON array of objects with {@code id}, {@code state}, {@code orderUrl}, {@code failure},
     * {@code attempts}, {@code holdsPrivateKey} and {@code hasCertificate}.
     */
    public JsonNode orders(String address) {
        HttpResponse<String> response = send(request(certificatePath(address) + "/orders").GET());
        expectStatus(response, 200, "list the orders of " + address);
        return readJson(response.body());
    }

    /**
     * Runs a provisioning scan now ({@code POST /acme-smime/provisioning/scan}) and returns the
     * raw response: 200 with {@code requested} and {@code node}, or 409 while another node scans.
     */
    public HttpResponse<String> provisioningScan() {
        return post("/acme-smime/provisioning/scan");
    }

    /** Replaces the ACME account key ({@code POST /acme-smime/account/key-rollover}) and returns the account URL. */
    public String rolloverAccountKey() {
        HttpResponse<String> response = post("/acme-smime/account/key-rollover");
        expectStatus(response, 200, "roll over the account key");
        return readJson(response.body()).get("accountUrl").asText();
    }

    /** Reads the extension's challenge counters ({@code GET /acme-smime/challenges/metrics}). */
    public JsonNode challengeMetrics() {
        HttpResponse<String> response = send(request("/acme-smime/challenges/metrics").GET());
        expectStatus(response, 200, "read the challenge metrics");
        return readJson(response.body());
    }

    /**
     * Returns the keys of the mails in a mail repository ({@code GET /mailRepositories/{path}/mails}),
     * or an empty list when the repository does not exist yet. WebAdmin names a repository by
     * its path without protocol, such as {@code var/mail/error/}.
     */
    public List<String> mailRepositoryKeys(String repositoryPath) {
        String encoded = URLEncoder.encode(repositoryPath, StandardCharsets.UTF_8);
        HttpResponse<String> response = send(request("/mailRepositories/" + encoded + "/mails").GET());
        if (response.statusCode() == 404) {
            return List.of();
        }
        expectStatus(response, 200, "list the mails of " + repositoryPath);
        List<String> keys = new ArrayList<>();
        readJson(response.body()).forEach(key -> keys.add(key.asText()));
        return keys;
    }

    /** Returns a mail of a repository as JSON ({@code GET /mailRepositories/{path}/mails/{key}}). */
    public JsonNode mailRepositoryMail(String repositoryPath, String key) {
        String path = "/mailRepositories/" + URLEncoder.encode(repositoryPath, StandardCharsets.UTF_8)
                + "/mails/" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "?additionalFields=headers,attributes";
        HttpResponse<String> response = send(request(path).header("Accept", "application/json").GET());
        expectStatus(response, 200, "read mail " + key + " of " + repositoryPath);
        return readJson(response.body());
    }

    private static JsonNode readJson(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new WebAdminException("Invalid JSON from WebAdmin: " + body, e);
        }
    }

    /** Sends a GET and returns the raw response, for checks of status codes and bodies. */
    public HttpResponse<String> get(String path) {
        return send(request(path).GET());
    }

    /** Sends a POST without body and returns the raw response, for checks of status codes and bodies. */
    public HttpResponse<String> post(String path) {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()));
    }

    private static String certificatePath(String address) {
        return "/acme-smime/certificates/" + address;
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(baseUri.resolve(path)).timeout(REQUEST_TIMEOUT);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        HttpRequest built = request.build();
        try {
            return client.send(built, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new WebAdminException(built.method() + " " + built.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WebAdminException(built.method() + " " + built.uri() + " was interrupted", e);
        }
    }

    private static CertificateStatus parseStatus(String body) {
        try {
            return CertificateStatus.fromJson(JSON.readTree(body), body);
        } catch (IOException e) {
            throw new WebAdminException("Invalid certificate status JSON: " + body, e);
        }
    }

    private static void expectStatus(HttpResponse<String> response, int expected, String action) {
        if (response.statusCode() != expected) {
            throw new WebAdminException("Failed to " + action + ": " + response.request().method() + " "
                    + response.uri() + " returned " + response.statusCode() + " (expected " + expected + "): "
                    + response.body(), null);
        }
    }

    /** A WebAdmin call that failed or returned an unexpected status. */
    public static final class WebAdminException extends RuntimeException {
        WebAdminException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
