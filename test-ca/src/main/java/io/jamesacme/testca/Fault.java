package io.jamesacme.testca;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Fault for {@link TestCa#inject}: which failure, for how many requests and on which ACME
 * resources. Create one with {@link #of} or {@link #refuseConnectionsFor} and refine it with
 * the {@code with…} and {@link #onlyOn} methods, which return a new fault.
 *
 * <pre>{@code
 * ca.inject(Fault.of(FaultKind.RATE_LIMITED_429, 2).withRetryAfter(Duration.ofSeconds(3))
 *         .onlyOn("newOrder"));
 * }</pre>
 *
 * @param kind the failure
 * @param count how many matching requests fail before the CA responds normally again, or 0
 *     for {@link FaultKind#CONNECTION_REFUSED}, which lasts for {@code delay} instead
 * @param retryAfter the Retry-After of {@link FaultKind#UNAVAILABLE_503} and
 *     {@link FaultKind#RATE_LIMITED_429}, sent in whole seconds rounded up, or zero for the
 *     other kinds
 * @param delay how long {@link FaultKind#SLOW_RESPONSE} holds back each response, or how long
 *     {@link FaultKind#CONNECTION_REFUSED} refuses connections, or zero for the other kinds
 * @param endpoints the resources the fault applies to, by the names that
 *     {@link #onlyOn} lists, or empty for every resource
 */
public record Fault(FaultKind kind, int count, Duration retryAfter, Duration delay,
        Set<String> endpoints) {

    /** Retry-After that {@link #of} gives to 503 and 429 faults. */
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);
    /**
     * Delay that {@link #of} gives to slow-response faults: twice the 30 s network timeout of
     * acme4j 4.0's {@code NetworkSettings}.
     */
    public static final Duration DEFAULT_SLOW_RESPONSE_DELAY = Duration.ofSeconds(60);

    /** Checks that the values fit the kind, as the parameters describe. */
    public Fault {
        Objects.requireNonNull(kind, "kind is required");
        Objects.requireNonNull(retryAfter, "retryAfter is required");
        Objects.requireNonNull(delay, "delay is required");
        Objects.requireNonNull(endpoints, "endpoints is required");
        endpoints = Collections.unmodifiableSet(new LinkedHashSet<>(endpoints));
        requireCount(kind, count);
        requireRetryAfter(kind, retryAfter);
        requireDelay(kind, delay);
        requireEndpoints(kind, endpoints);
    }

    /**
     * Creates a fault that affects the next {@code count} requests to any ACME resource, with
     * {@link #DEFAULT_RETRY_AFTER} for 503 and 429 and {@link #DEFAULT_SLOW_RESPONSE_DELAY}
     * for a slow response.
     *
     * @throws IllegalArgumentException if {@code count} is below 1, or for
     *     {@link FaultKind#CONNECTION_REFUSED}, which {@link #refuseConnectionsFor} creates
     */
    public static Fault of(FaultKind kind, int count) {
        Objects.requireNonNull(kind, "kind is required");
        Duration retryAfter = hasRetryAfter(kind) ? DEFAULT_RETRY_AFTER : Duration.ZERO;
        Duration delay = kind == FaultKind.SLOW_RESPONSE ? DEFAULT_SLOW_RESPONSE_DELAY
                : Duration.ZERO;
        return new Fault(kind, count, retryAfter, delay, Set.of());
    }

    /**
     * Creates a fault that closes the CA's listening socket for {@code period} and then
     * listens on the same port again. Requests in progress when the socket closes may fail.
     *
     * @throws IllegalArgumentException if {@code period} is not positive
     */
    public static Fault refuseConnectionsFor(Duration period) {
        return new Fault(FaultKind.CONNECTION_REFUSED, 0, Duration.ZERO, period, Set.of());
    }

    /**
     * Returns this fault with another Retry-After.
     *
     * @throws IllegalArgumentException unless the kind is 503 or 429, or if negative
     */
    public Fault withRetryAfter(Duration newRetryAfter) {
        return new Fault(kind, count, newRetryAfter, delay, endpoints);
    }

    /**
     * Returns this fault with another delay.
     *
     * @throws IllegalArgumentException unless the kind is a slow response or a refused
     *     connection, or if not positive
     */
    public Fault withDelay(Duration newDelay) {
        return new Fault(kind, count, retryAfter, newDelay, endpoints);
    }

    /**
     * Returns this fault limited to the named resources: {@code directory}, {@code newNonce},
     * {@code terms}, {@code newAccount}, {@code account}, {@code orders} (an account's order
     * list), {@code keyChange}, {@code newOrder}, {@code order}, {@code finalize},
     * {@code authz}, {@code challenge} and {@code certificate}. HEAD, GET and POST requests
     * count alike.
     *
     * @throws IllegalArgumentException for an unknown name, for a bad nonce on a resource
     *     that takes no JWS, or for a refused connection, which affects the whole listener
     */
    public Fault onlyOn(String... newEndpoints) {
        return new Fault(kind, count, retryAfter, delay,
                new LinkedHashSet<>(Arrays.asList(newEndpoints)));
    }

    /** Returns true if a {@code method} request to {@code endpoint} triggers this fault. */
    boolean appliesTo(AcmeEndpoint endpoint, String method) {
        if (endpoint == AcmeEndpoint.UNKNOWN) {
            return false;
        }
        if (kind == FaultKind.BAD_NONCE && !(endpoint.signed() && "POST".equals(method))) {
            return false;
        }
        return endpoints.isEmpty() || endpoints.contains(endpoint.id());
    }

    /** Returns the Retry-After header value: whole seconds, rounded up. */
    String retryAfterHeader() {
        long seconds = retryAfter.getSeconds() + (retryAfter.getNano() > 0 ? 1 : 0);
        return Long.toString(seconds);
    }

    private static boolean hasRetryAfter(FaultKind kind) {
        return kind == FaultKind.UNAVAILABLE_503 || kind == FaultKind.RATE_LIMITED_429;
    }

    private static boolean hasDelay(FaultKind kind) {
        return kind == FaultKind.SLOW_RESPONSE || kind == FaultKind.CONNECTION_REFUSED;
    }

    private static void requireCount(FaultKind kind, int count) {
        if (kind == FaultKind.CONNECTION_REFUSED) {
            if (count != 0) {
                throw new IllegalArgumentException("A CONNECTION_REFUSED fault lasts for its "
                        + "delay, so its count must be 0, not " + count
                        + "; create it with Fault.refuseConnectionsFor(Duration)");
            }
        } else if (count < 1) {
            throw new IllegalArgumentException("The count of a " + kind + " fault is " + count
                    + "; expected at least 1 request");
        }
    }

    private static void requireRetryAfter(FaultKind kind, Duration retryAfter) {
        if (retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter " + retryAfter
                    + " must not be negative");
        }
        if (!retryAfter.isZero() && !hasRetryAfter(kind)) {
            throw new IllegalArgumentException("A " + kind + " fault sends no Retry-After, so "
                    + "retryAfter must be zero, not " + retryAfter
                    + "; only UNAVAILABLE_503 and RATE_LIMITED_429 take one");
        }
    }

    private static void requireDelay(FaultKind kind, Duration delay) {
        if (hasDelay(kind)) {
            if (delay.isZero() || delay.isNegative()) {
                throw new IllegalArgumentException("The delay of a " + kind + " fault is "
                        + delay + "; expected a positive duration");
            }
        } else if (!delay.isZero()) {
            throw new IllegalArgumentException("A " + kind + " fault has no delay, so delay "
                    + "must be zero, not " + delay
                    + "; only SLOW_RESPONSE and CONNECTION_REFUSED take one");
        }
    }

    private static void requireEndpoints(FaultKind kind, Set<String> endpoints) {
        if (kind == FaultKind.CONNECTION_REFUSED && !endpoints.isEmpty()) {
            throw new IllegalArgumentException("A CONNECTION_REFUSED fault closes the whole "
                    + "listener and cannot be limited to " + endpoints);
        }
        for (String name : endpoints) {
            AcmeEndpoint endpoint = AcmeEndpoint.byId(name).orElseThrow(() ->
                    new IllegalArgumentException("Unknown endpoint '" + name
                            + "'; expected one of " + AcmeEndpoint.faultableIds()));
            if (kind == FaultKind.BAD_NONCE && !endpoint.signed()) {
                throw new IllegalArgumentException("The endpoint '" + name + "' takes no JWS, "
                        + "so a BAD_NONCE fault cannot apply to it");
            }
        }
    }
}
