package io.jamesacme.smime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.MapConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.jamesacme.smime.certificate.CertificateKeyType;

class AcmeSmimeConfigurationTest {
    @TempDir
    Path baseDirectory;

    private final Map<String, Object> values = new HashMap<>(Map.of(
        AcmeSmimeConfiguration.DIRECTORY, "https://ca.example/directory",
        AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "env:P12_PASSPHRASE"));

    @Test
    void defaultsApplyWhenOnlyRequiredValuesAreSet() {
        AcmeSmimeConfiguration configuration = read();

        assertThat(configuration.keyType()).isEqualTo(CertificateKeyType.EC_P256);
        assertThat(configuration.storageDirectory()).isEqualTo(baseDirectory.resolve("var/acme-smime"));
        assertThat(configuration.provisioning().enabled()).isTrue();
        assertThat(configuration.provisioning().interval()).isEqualTo(Duration.ofHours(1));
        assertThat(configuration.provisioning().concurrency()).isEqualTo(2);
        assertThat(configuration.triggerDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(configuration.trustStore()).isEmpty();
        assertThat(configuration.termsOfServiceAgreed()).isFalse();
    }

    @Test
    void clusterDefaultsNameHostAndWorkingDirectory() {
        AcmeSmimeConfiguration configuration = read();

        assertThat(configuration.nodeId()).endsWith(":" + baseDirectory.toAbsolutePath().normalize());
        assertThat(configuration.leaseDuration()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void clusterSettingsAreRead() {
        values.put(AcmeSmimeConfiguration.NODE_ID, "james-1");
        values.put(AcmeSmimeConfiguration.ACME_TIMEOUT, "5s");
        values.put(AcmeSmimeConfiguration.LEASE_DURATION, "10s");

        AcmeSmimeConfiguration configuration = read();

        assertThat(configuration.nodeId()).isEqualTo("james-1");
        assertThat(configuration.leaseDuration()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void leaseShorterThanTwoTimeoutsIsRejected() {
        values.put(AcmeSmimeConfiguration.LEASE_DURATION, "45s");

        assertThatThrownBy(this::read)
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining(AcmeSmimeConfiguration.LEASE_DURATION)
            .hasMessageContaining("45s")
            .hasMessageContaining("60 s");
    }

    @Test
    void longTimeoutNamesTheDefaultLease() {
        values.put(AcmeSmimeConfiguration.ACME_TIMEOUT, "90s");

        assertThatThrownBy(this::read)
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining(AcmeSmimeConfiguration.LEASE_DURATION)
            .hasMessageContaining("180 s")
            .hasMessageNotContaining("Invalid value ''");
    }

    @Test
    void nodeIdWithSpaceIsRejected() {
        values.put(AcmeSmimeConfiguration.NODE_ID, "james one");

        assertThatThrownBy(this::read)
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining(AcmeSmimeConfiguration.NODE_ID)
            .hasMessageContaining("without spaces");
    }

    @Test
    void explicitValuesAreRead() throws Exception {
        Files.createDirectories(baseDirectory.resolve("conf"));
        Files.write(baseDirectory.resolve("conf/ca.p12"), new byte[] {0});
        values.put(AcmeSmimeConfiguration.KEY_TYPE, "rsa-3072");
        values.put(AcmeSmimeConfiguration.PROVISIONING_INTERVAL, "30s");
        values.put(AcmeSmimeConfiguration.PROVISIONING_CONCURRENCY, "5");
        values.put(AcmeSmimeConfiguration.TERMS_AGREED, "true");
        values.put(AcmeSmimeConfiguration.TRUST_STORE, "conf/ca.p12");
        values.put(AcmeSmimeConfiguration.CONTACT, "mailto:postmaster@example.test");

        AcmeSmimeConfiguration configuration = read();

        assertThat(configuration.keyType()).isEqualTo(CertificateKeyType.RSA_3072);
        assertThat(configuration.provisioning().interval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(configuration.provisioning().concurrency()).isEqualTo(5);
        assertThat(configuration.termsOfServiceAgreed()).isTrue();
        assertThat(configuration.trustStore().orElseThrow().path())
            .isEqualTo(baseDirectory.resolve("conf/ca.p12"));
        assertThat(configuration.contact().orElseThrow().toString())
            .isEqualTo("mailto:postmaster@example.test");
    }

    @Test
    void storageDefaultsToFileStore() {
        StorageSettings storage = read().storage();

        assertThat(storage.type()).isEqualTo(StorageSettings.Type.FILE);
        assertThat(storage.fileDirectory()).isEqualTo(baseDirectory.resolve("var/acme-smime/state"));
    }

    @Test
    void postgresqlStorageIsRead() {
        values.put(StorageSettings.TYPE, "postgresql");
        values.put(StorageSettings.POSTGRES_URL, "jdbc:postgresql://127.0.0.1:5432/james");
        values.put(StorageSettings.POSTGRES_USER, "james");
        values.put(StorageSettings.POSTGRES_PASSWORD_SOURCE, "env:DB_PASSWORD");
        values.put(StorageSettings.POSTGRES_POOL_SIZE, "8");

        StorageSettings storage = read().storage();

        assertThat(storage.type()).isEqualTo(StorageSettings.Type.POSTGRESQL);
        assertThat(storage.postgresUrl()).contains("jdbc:postgresql://127.0.0.1:5432/james");
        assertThat(storage.postgresUser()).contains("james");
        assertThat(storage.postgresPassword().orElseThrow().read()).containsExactly("s3cret".toCharArray());
        assertThat(storage.postgresPoolSize()).isEqualTo(8);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "storage.type|mysql|file or postgresql",
        "storage.postgresql.url|jdbc:mysql://x/y|jdbc:postgresql:",
        "storage.postgresql.pool-size|0|from 1 to 64"})
    void invalidStorageValuesAreRejected(String key, String value, String expected) {
        values.put(StorageSettings.TYPE, "postgresql");
        values.put(StorageSettings.POSTGRES_URL, "jdbc:postgresql://127.0.0.1/james");
        values.put(StorageSettings.POSTGRES_USER, "james");
        values.put(StorageSettings.POSTGRES_PASSWORD_SOURCE, "env:DB_PASSWORD");
        values.put(key, value);

        assertThatThrownBy(this::read).isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining(key).hasMessageContaining(expected);
    }

    @Test
    void postgresqlStorageNeedsAUser() {
        values.put(StorageSettings.TYPE, "postgresql");
        values.put(StorageSettings.POSTGRES_URL, "jdbc:postgresql://127.0.0.1/james");

        assertThatThrownBy(this::read).isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining(StorageSettings.POSTGRES_USER);
    }

    @Test
    void provisioningExclusionsMatchAddressesAndDomains() {
        values.put(AcmeSmimeConfiguration.PROVISIONING_EXCLUDE, " Postmaster@Example.test, @lists.example.test ,");

        var provisioning = read().provisioning();

        assertThat(provisioning.exclude()).containsExactly("postmaster@example.test", "@lists.example.test");
        assertThat(provisioning.excludes("POSTMASTER@example.test")).isTrue();
        assertThat(provisioning.excludes("team@lists.example.test")).isTrue();
        assertThat(provisioning.excludes("alice@example.test")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "acme.directory|http://ca.example/directory|https://",
        "acme.directory|not a url|https://",
        "certificate.key-type|dsa-1024|ec-p256",
        "provisioning.interval|often|duration",
        "provisioning.interval|0s|greater than zero",
        "provisioning.concurrency|0|from 1 to 64",
        "provisioning.concurrency|many|from 1 to 64",
        "provisioning.enabled|yes|true or false",
        "provisioning.exclude|postmaster|addresses",
        "provisioning.exclude|a@b@c|addresses",
        "acme.account.contact|postmaster@example.test|mailto:",
        "acme.truststore.type|PEM|PKCS12 or JKS",
        "pkcs12.passphrase.source|secret|file:<path>",
        "challenge.trigger-delay|-1s|duration",
        "challenge.timeout|0s|'0s'",
        "acme.truststore|absent.p12|missing or unreadable"})
    void invalidValueNamesParameterValueAndAllowed(String parameter, String value, String allowed) {
        values.put(parameter, value);
        if (parameter.equals(AcmeSmimeConfiguration.TRUST_STORE_TYPE)) {
            values.put(AcmeSmimeConfiguration.TRUST_STORE, "ca.p12");
            writeTrustStoreFile();
        }

        assertThatThrownBy(this::read)
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining("'" + parameter + "'")
            .hasMessageContaining(allowed);
    }

    @Test
    void missingDirectoryIsReported() {
        values.remove(AcmeSmimeConfiguration.DIRECTORY);

        assertThatThrownBy(this::read)
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining("'acme.directory'")
            .hasMessageContaining("required");
    }

    @Test
    void passphraseComesFromEnvironment() {
        assertThat(read().passphraseSource().read()).containsExactly("s3cret".toCharArray());
    }

    @Test
    void passphraseComesFromFile() throws Exception {
        Files.writeString(baseDirectory.resolve("passphrase"), "from-file\n");
        values.put(AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "file:passphrase");

        assertThat(read().passphraseSource().read()).containsExactly("from-file".toCharArray());
    }

    @Test
    void missingPassphraseFileIsReportedWhenRead() {
        values.put(AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "file:absent");

        assertThatThrownBy(() -> read().passphraseSource().read())
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining("cannot be read");
    }

    @Test
    void nonAsciiPassphraseIsRejected() throws Exception {
        Files.writeString(baseDirectory.resolve("passphrase"), "gr\u00fcn\n");
        values.put(AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "file:passphrase");

        assertThatThrownBy(() -> read().passphraseSource().read())
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining("printable ASCII");
    }

    private void writeTrustStoreFile() {
        try {
            Files.write(baseDirectory.resolve("ca.p12"), new byte[] {0});
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private AcmeSmimeConfiguration read() {
        return AcmeSmimeConfiguration.from(new MapConfiguration(values), baseDirectory,
            name -> name.equals("P12_PASSPHRASE") || name.equals("DB_PASSWORD")
                ? Optional.of("s3cret") : Optional.empty());
    }
}
