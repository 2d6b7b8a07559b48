package io.jamesacme.testca;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Authorization and challenge resources (RFC 8555 sections 7.5 and 7.5.1). */
final class AuthorizationResource {

    private static final Logger LOG = LoggerFactory.getLogger(AuthorizationResource.class);
    /** Delay that a client polling a processing challenge is asked to wait, in seconds. */
    private static final String RETRY_AFTER_SECONDS = "1";

    private final AcmeRegistry registry;
    private final JwsVerifier verifier;
    private final ChallengeProcessor processor;

    AuthorizationResource(AcmeRegistry registry, JwsVerifier verifier,
            ChallengeProcessor processor) {
        this.registry = registry;
        this.verifier = verifier;
        this.processor = processor;
    }

    AcmeResponse authorization(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        Authorization authorization = registry.authorizationByUrl(requestUrl)
                .orElseThrow(() -> AcmeProblem.notFound("No authorization at " + requestUrl));
        requireOwner(request, authorization);
        if (request.isPostAsGet()) {
            if (authorization.markFetched()) {
                processor.onFirstFetch(authorization);
            }
        } else {
            deactivate(authorization, request.payloadJson());
        }
        return AcmeResponse.json(200, authorization.toJson());
    }

    AcmeResponse challenge(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        EmailReplyChallenge challenge = registry.challengeByUrl(requestUrl)
                .orElseThrow(() -> AcmeProblem.notFound("No challenge at " + requestUrl));
        Authorization authorization = challenge.authorization();
        requireOwner(request, authorization);
        if (!request.isPostAsGet()) {
            // RFC 8555 7.5.1: the client sends an empty JSON object to start validation.
            request.payloadJson();
            processor.trigger(challenge);
        }
        AcmeResponse response =
                AcmeResponse.json(200, challenge.toJson()).withLink(authorization.url(), "up");
        if (challenge.status() == AcmeStatus.PROCESSING) {
            // Clients that poll without a Retry-After wait longer (acme4j 4.0: 3 s), although
            // the CA polls its inbox every poll interval.
            response.withHeader("Retry-After", RETRY_AFTER_SECONDS);
        }
        return response;
    }

    private static void requireOwner(SignedRequest request, Authorization authorization)
            throws AcmeProblem {
        Account account = request.requireAccount();
        if (authorization.order().account() != account) {
            throw AcmeProblem.unauthorized("The authorization " + authorization.url()
                    + " belongs to another account");
        }
    }

    private static void deactivate(Authorization authorization, Map<String, Object> payload)
            throws AcmeProblem {
        if (!"deactivated".equals(payload.get("status"))) {
            throw AcmeProblem.malformed("An authorization update may only set status "
                    + "'deactivated'");
        }
        Order order = authorization.order();
        synchronized (order) {
            AcmeStatus status = authorization.status();
            if (status != AcmeStatus.PENDING && status != AcmeStatus.VALID) {
                throw AcmeProblem.malformed("The authorization is " + status.json()
                        + " and cannot be deactivated");
            }
            authorization.setStatus(AcmeStatus.DEACTIVATED);
            if (order.status() == AcmeStatus.PENDING || order.status() == AcmeStatus.READY) {
                order.fail(AcmeProblem.unauthorized("The authorization for "
                        + authorization.address() + " was deactivated"));
            }
        }
        LOG.info("Deactivated authorization {} for {} (order {})", authorization.url(),
                authorization.address(), order.url());
    }
}
