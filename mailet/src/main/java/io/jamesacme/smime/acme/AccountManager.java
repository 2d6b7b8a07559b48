package io.jamesacme.smime.acme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.certificate.KeyPairEncoding;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.state.AccountRecord;
import io.jamesacme.smime.state.StateStore;
import io.jamesacme.smime.state.StateStoreException;

/**
 * Keeps the ACME account in the {@link StateStore}: the key is created once and stored before it
 * is used, and every node that shares the store logs in with the same account. A key rollover
 * (RFC 8555 section 7.3.5) is a deliberate admin action; it stores the new key before it asks
 * the CA to change it, and the next login completes a rollover that a crash interrupted.
 *
 * <p>An account key written by earlier versions to {@code <storage>/account/account-key.pem},
 * with its URL in {@code account-url}, is imported into an empty store.
 */
public class AccountManager {
    private static final Logger LOGGER = LoggerFactory.getLogger(AccountManager.class);

    /**
     * How long after a rollover stored its new key a keyChange request may still reach the CA.
     * After it, a new key that the CA does not have is dropped. Far longer than any request.
     */
    static final Duration ROLLOVER_SETTLE_TIME = Duration.ofMinutes(10);
    /** Time between two requests that ask the CA whether it has taken the new key. */
    static final Duration ROLLOVER_CHECK_INTERVAL = Duration.ofSeconds(5);

    private final AcmeSmimeConfiguration configuration;
    private final StateStore store;
    private final Clock clock;
    private final Path legacyKeyFile;
    private final Path legacyUrlFile;
    private Session session;
    private Login login;
    private AccountRecord loginAccount;
    private volatile DecodedKey decodedKey;
    private Instant lastRolloverCheck;
    private AccountRecord lastRolloverCheckOf;

    public AccountManager(AcmeSmimeConfiguration configuration, StateStore store, Clock clock) {
        this.configuration = configuration;
        this.store = store;
        this.clock = clock;
        Path legacy = configuration.storageDirectory().resolve("account");
        this.legacyKeyFile = legacy.resolve("account-key.pem");
        this.legacyUrlFile = legacy.resolve("account-url");
    }

    /**
     * Returns a login with the stored account, registering the account with the CA on first
     * use. The login is reused until another node changes the stored account.
     */
    public synchronized Login login() throws AcmeException {
        // acme4j's provider loads its challenge types with the context class loader once, so
        // every acme4j call here, the first one included, runs with this extension's loader.
        return ExtensionClassLoader.call(this::loginWithStoredAccount);
    }

    private Login loginWithStoredAccount() throws AcmeException {
        AccountRecord account = storedAccount();
        if (account.hasNewKey()) {
            account = resolveRollover(account);
        }
        if (login != null && account.equals(loginAccount)) {
            return login;
        }
        if (account.accountUrl().isEmpty()) {
            account = register(account);
        }
        KeyPair pair = decode(account);
        URL url = url(account.accountUrl().orElseThrow());
        login = session().login(url, pair);
        loginAccount = account;
        return login;
    }

    /**
     * Returns the account key pair, creating and storing it on first use. It takes no lock that
     * a login or a rollover holds, so the mail pipeline never waits for a request to the CA.
     */
    public KeyPair keyPair() {
        AccountRecord account = storedAccount();
        DecodedKey cached = decodedKey;
        if (cached != null && cached.account().equals(account)) {
            return cached.pair();
        }
        KeyPair pair = decode(account);
        decodedKey = new DecodedKey(account, pair);
        return pair;
    }

    /** Returns the public key of the account, which every key authorization depends on. */
    public PublicKey publicKey() {
        return keyPair().getPublic();
    }

    /**
     * Replaces the account key with a new one at the CA and in the store. The account URL stays.
     *
     * @return the account URL
     * @throws AcmeException when the CA rejected the change, and the old key stays in use; or
     *     when its outcome is unknown, after a timeout. The store then keeps the old key in use
     *     and the new one as a rollover in progress, until a login finds the account by the new
     *     key or {@link #ROLLOVER_SETTLE_TIME} has passed.
     * @throws IllegalStateException while an earlier rollover is still in progress
     */
    public synchronized String rolloverKey() throws AcmeException {
        Login current = login();
        AccountRecord account = loginAccount;
        if (account.hasNewKey()) {
            throw new IllegalStateException("The key rollover started at " + account.newKeyCreatedAt().get()
                + " is still in progress: the CA has not taken its key yet. Try again after "
                + account.newKeyCreatedAt().get().plus(ROLLOVER_SETTLE_TIME) + ".");
        }
        KeyPair next = newAccountKeyPair();
        AccountRecord pending = account.withNewKey(next.getPrivate().getEncoded(),
            next.getPublic().getEncoded(), clock.instant());
        store.replaceAccount(account, pending);
        LOGGER.info("Rolling over the key of ACME account {}", account.accountUrl().orElse("(none)"));

        Account acmeAccount = current.getAccount();
        try {
            ExtensionClassLoader.<Void, AcmeException>call(() -> {
                acmeAccount.changeKey(next);
                return null;
            });
        } catch (AcmeServerException e) {
            // The CA answered with a problem, so it has not changed the key.
            store.replaceAccount(pending, pending.withoutNewKey());
            LOGGER.warn("The CA rejected the key rollover of ACME account {}; the old key stays in use",
                account.accountUrl().orElse("(none)"), e);
            throw e;
        } catch (AcmeException | RuntimeException e) {
            LOGGER.warn("The key rollover of ACME account {} failed without an answer from the CA; the"
                + " store keeps both keys until a login finds the account by the new key",
                account.accountUrl().orElse("(none)"), e);
            forgetLogin();
            lastRolloverCheck = null;
            try {
                resolveRollover(pending);
            } catch (AcmeException | RuntimeException check) {
                e.addSuppressed(check);
            }
            throw e;
        }
        try {
            store.replaceAccount(pending, pending.withNewKeyInUse(clock.instant()));
        } catch (StateStoreException e) {
            LOGGER.info("Another node stored the outcome of the key rollover first");
        }
        forgetLogin();
        LOGGER.info("Rolled over the key of ACME account {}", account.accountUrl().orElse("(none)"));
        return account.accountUrl().orElseThrow();
    }

    private void forgetLogin() {
        login = null;
        loginAccount = null;
    }

    /**
     * Looks at a rollover in progress, which this node or another started, and returns the
     * account to use now. When the CA finds the account by the new key, the new key becomes the
     * account key. Otherwise the old key stays in use and the new one stays stored, because a
     * keyChange request may still be on its way to the CA, until {@link #ROLLOVER_SETTLE_TIME}
     * has passed. The CA is asked at most every {@link #ROLLOVER_CHECK_INTERVAL}.
     */
    private AccountRecord resolveRollover(AccountRecord account) throws AcmeException {
        Instant now = clock.instant();
        if (account.equals(lastRolloverCheckOf) && lastRolloverCheck != null
                && now.isBefore(lastRolloverCheck.plus(ROLLOVER_CHECK_INTERVAL))) {
            return account;
        }
        boolean caHasNewKey = caFindsAccountBy(decode(account.newPrivateKey().orElseThrow(),
            account.newPublicKey().orElseThrow()));
        lastRolloverCheck = now;
        lastRolloverCheckOf = account;
        AccountRecord resolved;
        if (caHasNewKey) {
            resolved = account.withNewKeyInUse(now);
        } else if (now.isAfter(account.newKeyCreatedAt().orElseThrow().plus(ROLLOVER_SETTLE_TIME))) {
            resolved = account.withoutNewKey();
        } else {
            return account;
        }
        try {
            store.replaceAccount(account, resolved);
        } catch (StateStoreException e) {
            // Another node resolved it first.
            return storedAccount();
        }
        LOGGER.info("Completed the key rollover of ACME account {}: the CA has the {} key",
            account.accountUrl().orElse("(none)"), caHasNewKey ? "new" : "old");
        return resolved;
    }

    /** Returns true when the CA has an account for {@code pair}, asked with onlyReturnExisting. */
    private boolean caFindsAccountBy(KeyPair pair) throws AcmeException {
        try {
            ExtensionClassLoader.<Login, AcmeException>call(() ->
                new AccountBuilder().onlyExisting().useKeyPair(pair).createLogin(session()));
            return true;
        } catch (AcmeServerException e) {
            if (!AcmeResources.isProblem(e, "accountDoesNotExist")) {
                throw e;
            }
            return false;
        }
    }

    private AccountRecord register(AccountRecord account) throws AcmeException {
        KeyPair pair = decode(account);
        AccountBuilder builder = new AccountBuilder().useKeyPair(pair);
        configuration.contact().ifPresent(builder::addContact);
        if (configuration.termsOfServiceAgreed()) {
            builder.agreeToTermsOfService();
        }
        // newAccount returns the existing account for a known key, so nodes that race here end
        // with the same account URL.
        Account created = ExtensionClassLoader.call(() -> builder.create(session()));
        AccountRecord registered = account.withAccountUrl(created.getLocation().toString());
        try {
            store.replaceAccount(account, registered);
        } catch (StateStoreException e) {
            return storedAccount();
        }
        LOGGER.info("Created ACME account {} at {}", created.getLocation(), configuration.directory());
        return registered;
    }

    private Session session() {
        if (session == null) {
            session = configuration.trustStore()
                .map(trustStore -> new Session(configuration.directory(),
                    new TrustStoreAcmeProvider(trustStore)))
                .orElseGet(() -> new Session(configuration.directory()));
            session.networkSettings().setTimeout(configuration.acmeTimeout());
        }
        return session;
    }

    /** Returns the stored account, storing a new key, or the key of an earlier version, first. */
    private AccountRecord storedAccount() {
        Optional<AccountRecord> stored = store.account();
        if (stored.isPresent()) {
            return stored.get();
        }
        Optional<AccountRecord> legacy = readLegacyAccount();
        AccountRecord candidate = legacy.orElseGet(() -> {
            KeyPair created = newAccountKeyPair();
            return new AccountRecord(created.getPrivate().getEncoded(), created.getPublic().getEncoded(),
                Optional.empty(), clock.instant());
        });
        AccountRecord account = store.createAccountIfAbsent(candidate);
        if (account.equals(candidate)) {
            LOGGER.info(legacy.isPresent() ? "Imported the ACME account key from {} into the state store"
                : "Created a new ACME account key in the state store", legacyKeyFile);
        }
        return account;
    }

    private Optional<AccountRecord> readLegacyAccount() {
        if (!Files.exists(legacyKeyFile)) {
            return Optional.empty();
        }
        try {
            KeyPair pair = KeyPairEncoding.fromPem(Files.readAllBytes(legacyKeyFile));
            Optional<String> url = Files.exists(legacyUrlFile)
                ? Optional.of(Files.readString(legacyUrlFile, StandardCharsets.UTF_8).strip())
                : Optional.empty();
            return Optional.of(new AccountRecord(pair.getPrivate().getEncoded(),
                pair.getPublic().getEncoded(), url, clock.instant()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the ACME account key " + legacyKeyFile, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Cannot import the ACME account key " + legacyKeyFile
                + ": " + e.getMessage() + ". Move the file away to create a new account.", e);
        }
    }

    private static KeyPair decode(AccountRecord account) {
        return decode(account.privateKey(), account.publicKey());
    }

    private static KeyPair decode(byte[] pkcs8PrivateKey, byte[] x509PublicKey) {
        return new KeyPair(KeyPairEncoding.publicKeyFromX509(x509PublicKey),
            KeyPairEncoding.privateKeyFromPkcs8(pkcs8PrivateKey));
    }

    private static URL url(String value) {
        try {
            return new URL(value);
        } catch (MalformedURLException e) {
            throw new IllegalStateException("The stored ACME account URL '" + value + "' is invalid", e);
        }
    }

    /** Generates an EC P-256 key with the JDK, which needs no registered security provider. */
    private static KeyPair newAccountKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The JDK cannot generate an EC P-256 key", e);
        }
    }

    /** An account record and its decoded key pair. */
    private record DecodedKey(AccountRecord account, KeyPair pair) {
    }
}
