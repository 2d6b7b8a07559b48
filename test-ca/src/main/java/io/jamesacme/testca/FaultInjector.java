package io.jamesacme.testca;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counted faults that {@link AcmeHttpServer} applies to requests, and how many requests each
 * fault kind affected. When several faults apply to a request, the one injected first is
 * used, so injecting a 500 and then a 429 fails one request with each, in that order.
 */
final class FaultInjector {

    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

    /** Injected fault with the number of requests it still affects. */
    private static final class ActiveFault {
        private final Fault fault;
        private int remaining;

        private ActiveFault(Fault fault) {
            this.fault = fault;
            this.remaining = fault.count();
        }
    }

    private final NonceRegistry nonces;
    private final List<ActiveFault> active = new ArrayList<>();
    private final Map<FaultKind, Integer> hits = new EnumMap<>(FaultKind.class);

    FaultInjector(NonceRegistry nonces) {
        this.nonces = nonces;
    }

    /** Adds a fault that ends after its count. {@link AcmeHttpServer} refuses connections. */
    synchronized void add(Fault fault) {
        if (fault.kind() == FaultKind.CONNECTION_REFUSED) {
            throw new IllegalArgumentException("CONNECTION_REFUSED has no count; "
                    + "AcmeHttpServer.refuseConnectionsFor handles it");
        }
        active.add(new ActiveFault(fault));
        LOG.info("Injected fault {}", fault);
    }

    /** Removes every fault that has requests left but keeps the hit counts. */
    synchronized void clear() {
        if (!active.isEmpty()) {
            LOG.info("Cleared {} faults: {}", active.size(),
                    active.stream().map(entry -> entry.fault).toList());
        }
        active.clear();
    }

    /**
     * Returns the first fault that applies to a {@code method} request to {@code endpoint}
     * and counts the request against it. A fault whose count is used up is removed.
     */
    synchronized Optional<Fault> take(AcmeEndpoint endpoint, String method) {
        Iterator<ActiveFault> iterator = active.iterator();
        while (iterator.hasNext()) {
            ActiveFault entry = iterator.next();
            if (!entry.fault.appliesTo(endpoint, method)) {
                continue;
            }
            entry.remaining--;
            countHits(entry.fault.kind(), 1);
            LOG.debug("Fault {} applied to {} {}; {} requests left", entry.fault.kind(),
                    method, endpoint.id(), entry.remaining);
            if (entry.remaining == 0) {
                iterator.remove();
                LOG.info("Fault {} ended after {} requests", entry.fault, entry.fault.count());
            }
            return Optional.of(entry.fault);
        }
        return Optional.empty();
    }

    synchronized void countHits(FaultKind kind, int requests) {
        hits.merge(kind, requests, Integer::sum);
    }

    /** Returns the hit count of every kind, 0 for kinds that affected no request. */
    synchronized Map<FaultKind, Integer> hits() {
        Map<FaultKind, Integer> snapshot = new EnumMap<>(FaultKind.class);
        for (FaultKind kind : FaultKind.values()) {
            snapshot.put(kind, hits.getOrDefault(kind, 0));
        }
        return snapshot;
    }

    /**
     * Builds the response that replaces the resource's response under {@code fault}. For a bad
     * nonce, the CA consumes the nonce in {@code body}, so a retry needs the fresh Replay-Nonce.
     */
    AcmeResponse respond(Fault fault, String body) {
        return switch (fault.kind()) {
            case SERVER_ERROR_500 -> AcmeResponse.problem(AcmeProblem.of("serverInternal", 500,
                    "Injected fault: internal server error"));
            case UNAVAILABLE_503 -> AcmeResponse.problem(AcmeProblem.of("serverInternal", 503,
                    "Injected fault: the service is unavailable; retry after "
                            + fault.retryAfterHeader() + " s"))
                    .withHeader("Retry-After", fault.retryAfterHeader());
            case RATE_LIMITED_429 -> AcmeResponse.problem(AcmeProblem.of("rateLimited", 429,
                    "Injected fault: rate limit exceeded; retry after "
                            + fault.retryAfterHeader() + " s"))
                    .withHeader("Retry-After", fault.retryAfterHeader());
            case BAD_NONCE -> {
                JwsVerifier.unverifiedNonce(body).ifPresent(nonces::consume);
                yield AcmeResponse.problem(AcmeProblem.of("badNonce", 400, "Injected fault: "
                        + "the JWS nonce is rejected; retry with the Replay-Nonce of this "
                        + "response"));
            }
            case SLOW_RESPONSE, CONNECTION_REFUSED -> throw new IllegalArgumentException(
                    fault.kind() + " does not replace the response");
        };
    }
}
