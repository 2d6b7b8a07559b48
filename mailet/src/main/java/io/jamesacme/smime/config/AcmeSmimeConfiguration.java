package io.jamesacme.smime.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

import org.apache.commons.configuration2.Configuration;

import io.jamesacme.smime.acme.RetryPolicy;
import io.jamesacme.smime.certificate.CertificateKeyType;

/**
 * The validated contents of {@code conf/acme-smime.properties}. Every parameter is read and
 * checked once; an invalid value fails with {@link InvalidConfigurationException}.
 *
 * @param directory the ACME directory URL of the CA
 * @param trustStore the CA's HTTPS trust store; the JVM default trust when absent
 * @param contact the account contact, a {@code mailto:} URI
 * @param termsOfServiceAgreed whether the operator agreed to the CA's terms of service
 * @param keyType the type of the certificate keys generated for users
 * @param storageDirectory where the account, statuses and certificates are stored
 * @param provisioning the automatic provisioning settings
 * @param passphraseSource where the PKCS#12 passphrase comes from
 * @param triggerDelay the time between handing the response to the mail pipeline and the trigger
 * @param challengeTimeout how long an order waits for its challenge to become valid
 * @param authenticity how challenge mails from the CA prove that they are authentic
 * @param storage where the durable state lives
 * @param retry when a failed order is tried again
 * @param acmeTimeout the network timeout of each request to the CA
 * @param nodeId the name of this James node in leases and challenge claims, unique among the
 *     nodes that share a state store and the same across restarts of the node
 * @param leaseDuration how long a node's lease on an order lasts without renewal, so how soon
 *     another node takes over the orders of a node that stopped
 */
public record AcmeSmimeConfiguration(URI directory, Optional<TrustStoreSettings> trustStore,
                                     Optional<URI> contact, boolean termsOfServiceAgreed,
                                     CertificateKeyType keyType, Path storageDirectory,
                                     ProvisioningSettings provisioning,
                                     PassphraseSource passphraseSource, Duration triggerDelay,
                                     Duration challengeTimeout, AuthenticitySettings authenticity,
                                     StorageSettings storage, RetryPolicy retry, Duration acmeTimeout,
                                     String nodeId, Duration leaseDuration) {

    /** The name of the configuration file in James' {@code conf/} folder, without extension. */
    public static final String FILE_NAME = "acme-smime";

    public static final String DIRECTORY = "acme.directory";
    public static final String TRUST_STORE = "acme.truststore";
    public static final String TRUST_STORE_PASSWORD = "acme.truststore.password";
    public static final String TRUST_STORE_TYPE = "acme.truststore.type";
    public static final String CONTACT = "acme.account.contact";
    public static final String TERMS_AGREED = "acme.terms-of-service.agreed";
    public static final String KEY_TYPE = "certificate.key-type";
    public static final String STORAGE_DIRECTORY = "storage.directory";
    public static final String PROVISIONING_ENABLED = "provisioning.enabled";
    public static final String PROVISIONING_INTERVAL = "provisioning.interval";
    public static final String PROVISIONING_INITIAL_DELAY = "provisioning.initial-delay";
    public static final String PROVISIONING_CONCURRENCY = "provisioning.concurrency";
    public static final String PROVISIONING_EXCLUDE = "provisioning.exclude";
    public static final String PASSPHRASE_SOURCE = "pkcs12.passphrase.source";
    public static final String TRIGGER_DELAY = "challenge.trigger-delay";
    public static final String CHALLENGE_TIMEOUT = "challenge.timeout";
    public static final String ACME_TIMEOUT = "acme.timeout";
    public static final String RETRY_MAX_ATTEMPTS = "retry.max-attempts";
    public static final String RETRY_INITIAL_BACKOFF = "retry.initial-backoff";
    public static final String RETRY_MAX_BACKOFF = "retry.max-backoff";
    public static final String NODE_ID = "cluster.node-id";
    public static final String LEASE_DURATION = "cluster.lease-duration";
    private static final Duration DEFAULT_LEASE_DURATION = Duration.ofMinutes(2);

    /** The largest number of orders run at once; more would only queue at the CA. */
    static final int MAX_CONCURRENCY = 64;

    /**
     * Reads the configuration. Relative paths resolve against {@code baseDirectory}, James'
     * working directory.
     */
    public static AcmeSmimeConfiguration from(Configuration configuration, Path baseDirectory,
                                              Function<String, Optional<String>> environment) {
        ParameterReader reader = new ParameterReader(configuration);
        Duration acmeTimeout = reader.positiveDuration(ACME_TIMEOUT, Duration.ofSeconds(30));
        Path storageDirectory = baseDirectory.resolve(reader.string(STORAGE_DIRECTORY).orElse("var/acme-smime"));
        return new AcmeSmimeConfiguration(
            directory(reader),
            trustStore(reader, baseDirectory),
            contact(reader),
            reader.bool(TERMS_AGREED, false),
            keyType(reader),
            storageDirectory,
            new ProvisioningSettings(
                reader.bool(PROVISIONING_ENABLED, true),
                reader.positiveDuration(PROVISIONING_INTERVAL, Duration.ofHours(1)),
                reader.duration(PROVISIONING_INITIAL_DELAY, Duration.ofSeconds(10)),
                reader.intInRange(PROVISIONING_CONCURRENCY, 2, 1, MAX_CONCURRENCY),
                exclusions(reader)),
            PassphraseSource.parse(PASSPHRASE_SOURCE, reader.string(PASSPHRASE_SOURCE)
                .orElseThrow(() -> InvalidConfigurationException.missing(PASSPHRASE_SOURCE,
                    PassphraseSource.ALLOWED)), baseDirectory, environment),
            reader.duration(TRIGGER_DELAY, Duration.ofSeconds(2)),
            reader.positiveDuration(CHALLENGE_TIMEOUT, Duration.ofMinutes(10)),
            AuthenticitySettings.read(reader::string, baseDirectory),
            StorageSettings.read(reader::string, storageDirectory, baseDirectory,
                environment, reader.intInRange(StorageSettings.POSTGRES_POOL_SIZE, 4, 1, 64)),
            new RetryPolicy(reader.intInRange(RETRY_MAX_ATTEMPTS, 5, 1, 100),
                reader.positiveDuration(RETRY_INITIAL_BACKOFF, Duration.ofSeconds(30)),
                reader.positiveDuration(RETRY_MAX_BACKOFF, Duration.ofHours(1))),
            acmeTimeout,
            nodeId(reader, baseDirectory),
            leaseDuration(reader, acmeTimeout));
    }

    /**
     * Reads the lease duration. A step of an order makes a few requests of up to
     * {@code acme.timeout} each, and the lease is renewed between steps, so a lease shorter than
     * two timeouts could run out while its node is still working.
     */
    private static Duration leaseDuration(ParameterReader reader, Duration acmeTimeout) {
        Duration lease = reader.positiveDuration(LEASE_DURATION, DEFAULT_LEASE_DURATION);
        Duration minimum = acmeTimeout.multipliedBy(2);
        if (lease.compareTo(minimum) < 0) {
            String value = reader.string(LEASE_DURATION).orElse(DEFAULT_LEASE_DURATION.toMinutes() + "m (the default)");
            throw new InvalidConfigurationException(LEASE_DURATION, value, "expected at least twice "
                + ACME_TIMEOUT + " (" + minimum.toSeconds() + " s); set " + LEASE_DURATION
                + " or lower " + ACME_TIMEOUT);
        }
        return lease;
    }

    /**
     * Reads the node id. The default is the host name and James' working directory. It differs
     * between nodes on different hosts and between two James installations on one host. It
     * stays the same when the node restarts, so a restarted node resumes its own orders at once.
     */
    private static String nodeId(ParameterReader reader, Path baseDirectory) {
        Optional<String> configured = reader.string(NODE_ID);
        if (configured.isPresent()) {
            String value = configured.get();
            if (value.length() > 200 || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new InvalidConfigurationException(NODE_ID, value,
                    "expected up to 200 printable ASCII characters without spaces");
            }
            return value;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + ":" + baseDirectory.toAbsolutePath().normalize();
    }

    private static URI directory(ParameterReader reader) {
        String value = reader.string(DIRECTORY).orElseThrow(() ->
            InvalidConfigurationException.missing(DIRECTORY, "expected the CA's https:// directory URL"));
        try {
            URI uri = new URI(value);
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new InvalidConfigurationException(DIRECTORY, value,
                    "expected an https:// URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new InvalidConfigurationException(DIRECTORY, value,
                "expected an https:// URL: " + e.getMessage(), e);
        }
    }

    private static Optional<TrustStoreSettings> trustStore(ParameterReader reader, Path baseDirectory) {
        return reader.string(TRUST_STORE).map(path -> {
            String type = reader.string(TRUST_STORE_TYPE).orElse("PKCS12").toUpperCase(Locale.ROOT);
            if (!type.equals("PKCS12") && !type.equals("JKS")) {
                throw new InvalidConfigurationException(TRUST_STORE_TYPE, type,
                    "expected PKCS12 or JKS");
            }
            Path file = baseDirectory.resolve(path);
            if (!Files.isReadable(file)) {
                throw new InvalidConfigurationException(TRUST_STORE, path,
                    "expected a readable trust store file, but " + file + " is missing or unreadable");
            }
            return new TrustStoreSettings(file, reader.string(TRUST_STORE_PASSWORD).orElse(""), type);
        });
    }

    private static Optional<URI> contact(ParameterReader reader) {
        return reader.string(CONTACT).map(value -> {
            if (!value.startsWith("mailto:") || value.length() == "mailto:".length()) {
                throw new InvalidConfigurationException(CONTACT, value,
                    "expected a mailto: URI such as mailto:postmaster@example.com");
            }
            return URI.create(value);
        });
    }

    private static List<String> exclusions(ParameterReader reader) {
        String value = reader.string(PROVISIONING_EXCLUDE).orElse("");
        List<String> entries = new ArrayList<>();
        for (String item : value.split(",")) {
            String entry = item.strip().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            int at = entry.indexOf('@');
            if (at < 0 || at == entry.length() - 1 || entry.indexOf('@', at + 1) >= 0) {
                throw new InvalidConfigurationException(PROVISIONING_EXCLUDE, value,
                    "expected a comma-separated list of addresses (user@example.com) and "
                        + "domains (@example.com)");
            }
            entries.add(entry);
        }
        return List.copyOf(entries);
    }

    private static CertificateKeyType keyType(ParameterReader reader) {
        String value = reader.string(KEY_TYPE).orElse(CertificateKeyType.EC_P256.configValue());
        try {
            return CertificateKeyType.fromConfigValue(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException(KEY_TYPE, value, e.getMessage(), e);
        }
    }

    /** The trust store for the CA's HTTPS endpoint. */
    public record TrustStoreSettings(Path path, String password, String type) {
        @Override
        public String toString() {
            return "TrustStoreSettings[path=" + path + ", type=" + type + "]";
        }
    }

    /**
     * When and how many users are provisioned automatically.
     *
     * @param exclude lower-case addresses, and domains written {@code @example.com}, that
     *     provisioning skips. WebAdmin can still request a certificate for them.
     */
    public record ProvisioningSettings(boolean enabled, Duration interval, Duration initialDelay,
                                       int concurrency, List<String> exclude) {
        public ProvisioningSettings {
            exclude = List.copyOf(exclude);
        }

        /** Returns true when provisioning skips the address. */
        public boolean excludes(String address) {
            String normalized = address.toLowerCase(Locale.ROOT);
            String domain = normalized.substring(normalized.lastIndexOf('@'));
            return exclude.contains(normalized) || exclude.contains(domain);
        }
    }
}
