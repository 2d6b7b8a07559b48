package io.jamesacme.testca;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UncheckedJoseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * newAccount, account, keyChange and orders-list resources (RFC 8555 sections 7.3, 7.3.5 and
 * 7.1.2.1).
 */
final class AccountResource {

    private static final Logger LOG = LoggerFactory.getLogger(AccountResource.class);

    private final AcmeRegistry registry;
    private final JwsVerifier verifier;

    AccountResource(AcmeRegistry registry, JwsVerifier verifier) {
        this.registry = registry;
        this.verifier = verifier;
    }

    AcmeResponse newAccount(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, true);
        Map<String, Object> payload = request.payloadJson();
        String thumbprint = thumbprint(request.key());

        var existing = registry.accountByThumbprint(thumbprint);
        if (existing.isPresent()) {
            return AcmeResponse.json(200, existing.get().toJson())
                    .withLocation(existing.get().url());
        }
        if (Boolean.TRUE.equals(payload.get("onlyReturnExisting"))) {
            throw AcmeProblem.of("accountDoesNotExist", 400,
                    "No account exists for this key, and onlyReturnExisting is true");
        }
        if (!Boolean.TRUE.equals(payload.get("termsOfServiceAgreed"))) {
            throw AcmeProblem.of("userActionRequired", 403, "Set termsOfServiceAgreed to true "
                    + "to agree to the terms of service at "
                    + registry.baseUrl() + DirectoryResource.TERMS_PATH);
        }

        List<String> contact = contact(payload);
        AcmeRegistry.AccountLookup lookup =
                registry.findOrCreateAccount(request.key(), thumbprint, contact);
        Account account = lookup.account();
        if (lookup.created()) {
            LOG.info("Created account {} with contact {}", account.url(), contact);
        }
        return AcmeResponse.json(lookup.created() ? 201 : 200, account.toJson())
                .withLocation(account.url());
    }

    AcmeResponse account(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        Account account = requireOwnAccount(request, requestUrl);
        if (!request.isPostAsGet()) {
            Map<String, Object> payload = request.payloadJson();
            if (payload.containsKey("contact")) {
                account.updateContact(contact(payload));
            }
            Object status = payload.get("status");
            if ("deactivated".equals(status)) {
                account.deactivate();
                LOG.info("Deactivated account {}", account.url());
            } else if (status != null) {
                throw AcmeProblem.malformed("An account update may only set status "
                        + "'deactivated', not '" + status + "'");
            }
        }
        return AcmeResponse.json(200, account.toJson()).withLocation(account.url());
    }

    /**
     * Replaces the account key (RFC 8555 section 7.3.5). The outer JWS is signed by the current
     * key with the account URL as {@code kid}. Its payload is the inner JWS, signed by the new
     * key, whose payload is {@code {"account": <account URL>, "oldKey": <current JWK>}}. The
     * account keeps its URL, and requests signed with the old key fail afterwards.
     *
     * @throws AcmeProblem malformed, unauthorized or badPublicKey for a request that fails a
     *     check, and malformed with status 409 and the other account's URL as Location if
     *     another account already has the new key
     */
    AcmeResponse keyChange(String requestUrl, String body) throws AcmeProblem {
        SignedRequest outer = verifier.verify(body, requestUrl, false);
        Account account = outer.requireAccount();
        SignedRequest inner = verifier.verifyKeyChangeInner(outer.payload(), requestUrl);
        Map<String, Object> keyChange = inner.payloadJson();
        if (!(keyChange.get("account") instanceof String accountUrl)) {
            throw AcmeProblem.malformed("The keyChange object needs an 'account' member with "
                    + "the account URL");
        }
        if (!(keyChange.get("oldKey") instanceof Map<?, ?> oldKeyJson)) {
            throw AcmeProblem.malformed("The keyChange object needs an 'oldKey' member with "
                    + "the current account key as a JWK");
        }
        if (!accountUrl.equals(account.url())) {
            throw AcmeProblem.unauthorized("The keyChange 'account' " + accountUrl
                    + " is not the account " + account.url() + " that signed the outer JWS");
        }

        String oldThumbprint = thumbprint(publicJwk(oldKeyJson));
        String newThumbprint = thumbprint(inner.key());
        registry.changeKey(account, oldThumbprint, inner.key(), newThumbprint);
        LOG.info("Changed the key of account {}: JWK thumbprint {} replaced by {}",
                account.url(), oldThumbprint, newThumbprint);
        return AcmeResponse.json(200, account.toJson()).withLocation(account.url());
    }

    AcmeResponse orders(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        String accountUrl = requestUrl.substring(0, requestUrl.length() - "/orders".length());
        Account account = requireOwnAccount(request, accountUrl);
        List<String> urls = registry.ordersOf(account).stream().map(Order::url).toList();
        return AcmeResponse.json(200, Map.of("orders", urls));
    }

    private static Account requireOwnAccount(SignedRequest request, String accountUrl)
            throws AcmeProblem {
        Account account = request.requireAccount();
        if (!account.url().equals(accountUrl)) {
            throw AcmeProblem.unauthorized("The request is signed by account " + account.url()
                    + ", not by " + accountUrl);
        }
        return account;
    }

    private static String thumbprint(PublicJsonWebKey key) throws AcmeProblem {
        try {
            return key.calculateBase64urlEncodedThumbprint("SHA-256");
        } catch (UncheckedJoseException e) {
            throw AcmeProblem.malformed("The JWK thumbprint cannot be computed: "
                    + e.getMessage());
        }
    }

    /** Parses the {@code oldKey} member of a keyChange object. */
    private static PublicJsonWebKey publicJwk(Map<?, ?> json) throws AcmeProblem {
        PublicJsonWebKey jwk;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> params = (Map<String, Object>) json;
            jwk = PublicJsonWebKey.Factory.newPublicJwk(params);
        } catch (JoseException | ClassCastException e) {
            throw AcmeProblem.malformed("The keyChange 'oldKey' is not a valid public JWK: "
                    + e.getMessage());
        }
        if (jwk.getPrivateKey() != null) {
            throw AcmeProblem.malformed("The keyChange 'oldKey' contains a private key");
        }
        return jwk;
    }

    private static List<String> contact(Map<String, Object> payload) throws AcmeProblem {
        Object value = payload.getOrDefault("contact", List.of());
        if (!(value instanceof List<?> list)) {
            throw AcmeProblem.malformed("'contact' must be an array of mailto: URLs");
        }
        List<String> contact = new ArrayList<>();
        for (Object entry : list) {
            if (!(entry instanceof String url) || !url.startsWith("mailto:")) {
                throw AcmeProblem.of("unsupportedContact", 400, "The contact '" + entry
                        + "' is not supported; only mailto: URLs are");
            }
            contact.add(url);
        }
        return contact;
    }
}
