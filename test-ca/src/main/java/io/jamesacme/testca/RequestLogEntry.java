package io.jamesacme.testca;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP request that reached the CA, as {@link TestCa#requestLog()} lists it.
 *
 * @param time when the CA received the request
 * @param method the HTTP method: HEAD, GET or POST
 * @param endpoint the resource name that {@link Fault#onlyOn} takes, or {@code unknown} for a
 *     path that no resource serves
 * @param path the request path, such as {@code /order/abc/finalize}
 * @param status the HTTP status of the CA's response. For a slow response it is the status of
 *     the response the CA held back, which the client may never have received.
 * @param fault the injected fault that produced or delayed the response, if any
 */
public record RequestLogEntry(Instant time, String method, String endpoint, String path,
        int status, Optional<FaultKind> fault) {

    public RequestLogEntry {
        Objects.requireNonNull(time, "time is required");
        Objects.requireNonNull(method, "method is required");
        Objects.requireNonNull(endpoint, "endpoint is required");
        Objects.requireNonNull(path, "path is required");
        Objects.requireNonNull(fault, "fault is required; use Optional.empty()");
    }
}
