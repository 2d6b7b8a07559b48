package io.jamesacme.testca;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * RFC 8555 error, sent to the client as an RFC 7807 problem document
 * ({@code application/problem+json}) and stored in challenges that failed.
 */
final class AcmeProblem extends Exception {

    private static final long serialVersionUID = 1L;
    private static final String PREFIX = "urn:ietf:params:acme:error:";

    private final String type;
    private final int httpStatus;
    private final transient List<Map<String, Object>> subproblems;
    private final String location;

    private AcmeProblem(String shortType, int httpStatus, String detail,
            List<Map<String, Object>> subproblems, String location) {
        super(detail);
        this.type = PREFIX + shortType;
        this.httpStatus = httpStatus;
        this.subproblems = subproblems;
        this.location = location;
    }

    static AcmeProblem of(String shortType, int httpStatus, String detail) {
        return new AcmeProblem(shortType, httpStatus, detail, List.of(), null);
    }

    static AcmeProblem malformed(String detail) {
        return of("malformed", 400, detail);
    }

    static AcmeProblem unauthorized(String detail) {
        return of("unauthorized", 403, detail);
    }

    static AcmeProblem notFound(String detail) {
        return of("malformed", 404, detail);
    }

    static AcmeProblem badCsr(String detail) {
        return of("badCSR", 400, detail);
    }

    /**
     * Creates a 409 Conflict problem with {@code resourceUrl} as the Location of its response.
     * RFC 8555 section 7.3.5 specifies it for a new key that another account already has.
     */
    static AcmeProblem conflict(String detail, String resourceUrl) {
        return new AcmeProblem("malformed", 409, detail, List.of(), resourceUrl);
    }

    /** Creates a problem whose subproblem names the identifier that caused it (RFC 8555 6.7.1). */
    static AcmeProblem forIdentifier(String shortType, String detail, String identifierType,
            String identifierValue) {
        Map<String, Object> identifier = new LinkedHashMap<>();
        identifier.put("type", identifierType);
        identifier.put("value", identifierValue);
        Map<String, Object> subproblem = new LinkedHashMap<>();
        subproblem.put("type", PREFIX + shortType);
        subproblem.put("detail", detail);
        subproblem.put("identifier", identifier);
        return new AcmeProblem(shortType, 400, detail, List.of(subproblem), null);
    }

    String type() {
        return type;
    }

    int httpStatus() {
        return httpStatus;
    }

    /** Returns the URL for the Location header of the response, if the problem names one. */
    Optional<String> location() {
        return Optional.ofNullable(location);
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("type", type);
        json.put("detail", getMessage());
        json.put("status", httpStatus);
        if (!subproblems.isEmpty()) {
            json.put("subproblems", subproblems);
        }
        return json;
    }
}
