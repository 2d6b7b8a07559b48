package io.jamesacme.testca;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x509.GeneralName;
import org.jose4j.jwk.PublicJsonWebKey;

/**
 * In-memory store of accounts, orders, authorizations, challenges and certificates, keyed by
 * their URLs. Nothing here survives a restart of the CA.
 */
final class AcmeRegistry {

    /**
     * Certificate chain issued for an order, readable only by the order's account.
     *
     * @param leaf the end-entity certificate, the first in {@code pemChain}
     */
    record IssuedCertificate(Account account, X509Certificate leaf, String pemChain) {
    }

    private static final Duration ORDER_LIFETIME = Duration.ofDays(7);
    /** Bytes of each token part: 128 bits, 22 base64url characters. */
    private static final int TOKEN_BYTES = 16;

    private final String baseUrl;
    private final String caAddress;
    private final Map<String, Account> accountsByUrl = new ConcurrentHashMap<>();
    private final Map<String, Account> accountsByThumbprint = new ConcurrentHashMap<>();
    private final Map<String, List<Order>> ordersByAccount = new ConcurrentHashMap<>();
    private final Map<String, Order> orders = new ConcurrentHashMap<>();
    private final Map<String, Authorization> authorizations = new ConcurrentHashMap<>();
    private final Map<String, EmailReplyChallenge> challenges = new ConcurrentHashMap<>();
    private final Map<String, IssuedCertificate> certificates = new ConcurrentHashMap<>();
    /** The values of {@link #certificates} in the order they were stored. */
    private final List<IssuedCertificate> certificatesInIssueOrder = new CopyOnWriteArrayList<>();
    private final Map<String, EmailReplyChallenge> latestChallengeByAddress =
            new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> challengeMailsByAddress = new ConcurrentHashMap<>();

    AcmeRegistry(String baseUrl, String caAddress) {
        this.baseUrl = baseUrl;
        this.caAddress = caAddress;
    }

    String baseUrl() {
        return baseUrl;
    }

    /** Account found or created by {@link #findOrCreateAccount}. */
    record AccountLookup(Account account, boolean created) {
    }

    /** Returns the account of {@code thumbprint}, creating it if none exists. */
    synchronized AccountLookup findOrCreateAccount(PublicJsonWebKey key, String thumbprint,
            List<String> contact) {
        Account existing = accountsByThumbprint.get(thumbprint);
        if (existing != null) {
            return new AccountLookup(existing, false);
        }
        Account account = new Account(newUrl("/acct/"), key, thumbprint, contact);
        accountsByThumbprint.put(thumbprint, account);
        accountsByUrl.put(account.url(), account);
        return new AccountLookup(account, true);
    }

    Optional<Account> accountByThumbprint(String thumbprint) {
        return Optional.ofNullable(accountsByThumbprint.get(thumbprint));
    }

    Optional<Account> accountByUrl(String url) {
        return Optional.ofNullable(accountsByUrl.get(url));
    }

    /** Returns how many accounts exist. Accounts are never removed, not even deactivated ones. */
    int accountCount() {
        return accountsByUrl.size();
    }

    /**
     * Replaces the key of {@code account}, so that the registry finds the account by the new
     * key's thumbprint and no longer by the old one. The checks and the replacement run under
     * the registry lock, so of two rollovers from the same old key only the first succeeds.
     *
     * @param oldThumbprint thumbprint of the old key that the rollover request names
     * @throws AcmeProblem unauthorized if {@code oldThumbprint} is not the account's current
     *     key, malformed if the new key is the current key, and malformed with status 409 and
     *     the other account's URL as Location if another account already has the new key
     */
    synchronized void changeKey(Account account, String oldThumbprint, PublicJsonWebKey newKey,
            String newThumbprint) throws AcmeProblem {
        String currentThumbprint = account.thumbprint();
        if (!currentThumbprint.equals(oldThumbprint)) {
            throw AcmeProblem.unauthorized("The 'oldKey' of the key change is not the current "
                    + "key of account " + account.url());
        }
        if (currentThumbprint.equals(newThumbprint)) {
            throw AcmeProblem.malformed("The new key is the current key of account "
                    + account.url() + "; sign the inner JWS with a different key");
        }
        Account holder = accountsByThumbprint.get(newThumbprint);
        if (holder != null) {
            throw AcmeProblem.conflict("The new key is already the key of account "
                    + holder.url(), holder.url());
        }
        accountsByThumbprint.remove(currentThumbprint);
        account.replaceKey(newKey, newThumbprint);
        accountsByThumbprint.put(newThumbprint, account);
    }

    /** Creates an order with one pending authorization and challenge per address. */
    Order createOrder(Account account, List<String> addresses) {
        Instant expires = Instant.now().plus(ORDER_LIFETIME);
        Order order = new Order(newUrl("/order/"), account, addresses, expires);
        for (String address : addresses) {
            Authorization authorization =
                    new Authorization(newUrl("/authz/"), order, address, expires);
            EmailReplyChallenge challenge = new EmailReplyChallenge(newUrl("/chall/"),
                    authorization, RandomTokens.next(TOKEN_BYTES), RandomTokens.next(TOKEN_BYTES),
                    caAddress);
            authorization.attach(challenge);
            order.addAuthorization(authorization);
            authorizations.put(authorization.url(), authorization);
            challenges.put(challenge.url(), challenge);
            latestChallengeByAddress.put(normalize(address), challenge);
        }
        orders.put(order.url(), order);
        ordersByAccount.computeIfAbsent(account.url(), url -> new CopyOnWriteArrayList<>())
                .add(order);
        return order;
    }

    List<Order> ordersOf(Account account) {
        return List.copyOf(ordersByAccount.getOrDefault(account.url(), List.of()));
    }

    Optional<Order> orderByUrl(String url) {
        return Optional.ofNullable(orders.get(url));
    }

    Optional<Authorization> authorizationByUrl(String url) {
        return Optional.ofNullable(authorizations.get(url));
    }

    Optional<EmailReplyChallenge> challengeByUrl(String url) {
        return Optional.ofNullable(challenges.get(url));
    }

    String storeCertificate(Account account, X509Certificate leaf, String pemChain) {
        String url = newUrl("/cert/");
        IssuedCertificate certificate = new IssuedCertificate(account, leaf, pemChain);
        certificates.put(url, certificate);
        certificatesInIssueOrder.add(certificate);
        return url;
    }

    Optional<IssuedCertificate> certificateByUrl(String url) {
        return Optional.ofNullable(certificates.get(url));
    }

    /**
     * Returns the leaf certificates that name {@code address} as an rfc822Name SAN, compared
     * case-insensitively, in the order they were issued.
     */
    List<X509Certificate> certificatesFor(String address) {
        String normalized = normalize(address);
        return certificatesInIssueOrder.stream().map(IssuedCertificate::leaf)
                .filter(leaf -> rfc822Names(leaf).contains(normalized)).toList();
    }

    /** Returns the rfc822Name SANs of a certificate this CA issued, normalized. */
    private static List<String> rfc822Names(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new IllegalStateException("The SAN extension of issued certificate "
                    + certificate.getSerialNumber().toString(16) + " cannot be parsed", e);
        }
        if (names == null) {
            return List.of();
        }
        return names.stream()
                .filter(name -> Integer.valueOf(GeneralName.rfc822Name).equals(name.get(0)))
                .map(name -> normalize((String) name.get(1))).toList();
    }

    Optional<EmailReplyChallenge> latestChallengeFor(String address) {
        return Optional.ofNullable(latestChallengeByAddress.get(normalize(address)));
    }

    void countChallengeMail(String address) {
        challengeMailsByAddress.computeIfAbsent(normalize(address), a -> new AtomicInteger())
                .incrementAndGet();
    }

    int challengeMailsSent(String address) {
        AtomicInteger count = challengeMailsByAddress.get(normalize(address));
        return count == null ? 0 : count.get();
    }

    private String newUrl(String prefix) {
        return baseUrl + prefix + RandomTokens.next(12);
    }

    static String normalize(String address) {
        return address.trim().toLowerCase(Locale.ROOT);
    }
}
