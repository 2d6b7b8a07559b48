package io.jamesacme.testca;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jose4j.json.JsonUtil;

/** HTTP response of an ACME resource before the server adds Replay-Nonce and the index link. */
final class AcmeResponse {

    static final String JSON = "application/json";
    static final String PROBLEM_JSON = "application/problem+json";
    static final String PEM_CHAIN = "application/pem-certificate-chain";

    private final int status;
    private final String contentType;
    private final byte[] body;
    private final Map<String, List<String>> headers = new LinkedHashMap<>();

    private AcmeResponse(int status, String contentType, byte[] body) {
        this.status = status;
        this.contentType = contentType;
        this.body = body;
    }

    static AcmeResponse json(int status, Map<String, Object> json) {
        return new AcmeResponse(status, JSON,
                JsonUtil.toJson(json).getBytes(StandardCharsets.UTF_8));
    }

    static AcmeResponse problem(AcmeProblem problem) {
        AcmeResponse response = new AcmeResponse(problem.httpStatus(), PROBLEM_JSON,
                JsonUtil.toJson(problem.toJson()).getBytes(StandardCharsets.UTF_8));
        problem.location().ifPresent(response::withLocation);
        return response;
    }

    static AcmeResponse pemChain(String pem) {
        return new AcmeResponse(200, PEM_CHAIN, pem.getBytes(StandardCharsets.US_ASCII));
    }

    static AcmeResponse text(int status, String text) {
        return new AcmeResponse(status, "text/plain; charset=utf-8",
                text.getBytes(StandardCharsets.UTF_8));
    }

    static AcmeResponse empty(int status) {
        return new AcmeResponse(status, null, new byte[0]);
    }

    AcmeResponse withLocation(String url) {
        return withHeader("Location", url);
    }

    AcmeResponse withLink(String url, String relation) {
        return withHeader("Link", "<" + url + ">;rel=\"" + relation + "\"");
    }

    AcmeResponse withHeader(String name, String value) {
        headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        return this;
    }

    int status() {
        return status;
    }

    String contentType() {
        return contentType;
    }

    byte[] body() {
        return body;
    }

    Map<String, List<String>> headers() {
        return headers;
    }
}
