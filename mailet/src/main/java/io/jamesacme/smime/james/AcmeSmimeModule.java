package io.jamesacme.smime.james;

import java.io.FileNotFoundException;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

import javax.inject.Singleton;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.utils.PropertiesProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;

import org.apache.james.dnsservice.api.DNSService;

import io.jamesacme.smime.acme.AccountManager;
import io.jamesacme.smime.authenticity.AuthenticityPolicy;
import io.jamesacme.smime.acme.CertificateOrderService;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.config.InvalidConfigurationException;
import io.jamesacme.smime.config.StorageSettings;
import io.jamesacme.smime.state.FileStateStore;
import io.jamesacme.smime.state.PostgresSettings;
import io.jamesacme.smime.state.PostgresStateStore;
import io.jamesacme.smime.state.StateStore;

/**
 * Binds the extension's services for James' mailets, matchers, WebAdmin routes and
 * startables. Load it with {@code guice.extension.module=io.jamesacme.smime.james.AcmeSmimeModule}
 * in {@code extensions.properties}; it reads {@code conf/acme-smime.properties}.
 */
public class AcmeSmimeModule extends AbstractModule {
    private static final Logger LOGGER = LoggerFactory.getLogger(AcmeSmimeModule.class);

    @Override
    protected void configure() {
        bind(ChallengeResponder.class).in(Scopes.SINGLETON);
        bind(ChallengeMetrics.class).in(Scopes.SINGLETON);
        bind(AutomaticProvisioning.class).in(Scopes.SINGLETON);
    }

    @Provides
    @Singleton
    AuthenticityPolicy authenticityPolicy(AcmeSmimeConfiguration configuration, DNSService dnsService) {
        return AuthenticityPolicies.create(configuration.authenticity(), dnsService);
    }

    @Provides
    @Singleton
    AcmeSmimeConfiguration configuration(PropertiesProvider propertiesProvider, FileSystem fileSystem)
            throws FileNotFoundException {
        Configuration properties;
        try {
            properties = propertiesProvider.getConfiguration(AcmeSmimeConfiguration.FILE_NAME);
        } catch (FileNotFoundException e) {
            throw new InvalidConfigurationException("conf/" + AcmeSmimeConfiguration.FILE_NAME
                + ".properties", "(missing)", "the file is required; copy it from james-config/conf");
        } catch (ConfigurationException e) {
            throw new InvalidConfigurationException("conf/" + AcmeSmimeConfiguration.FILE_NAME
                + ".properties", "(unreadable)", "the file is not a valid properties file: "
                + e.getMessage(), e);
        }
        AcmeSmimeConfiguration configuration = AcmeSmimeConfiguration.from(properties,
            fileSystem.getBasedir().toPath(), name -> Optional.ofNullable(System.getenv(name)));
        // Reading the passphrase once here stops start-up on a missing or unusable source,
        // instead of failing the first order after the CA has issued its certificate.
        Arrays.fill(configuration.passphraseSource().read(), '\0');
        LOGGER.info("ACME S/MIME: directory {}, key type {}, storage {}, provisioning {}",
            configuration.directory(), configuration.keyType().configValue(),
            configuration.storageDirectory(), configuration.provisioning());
        return configuration;
    }

    @Provides
    @Singleton
    StateStore stateStore(AcmeSmimeConfiguration configuration) {
        StorageSettings storage = configuration.storage();
        if (storage.type() == StorageSettings.Type.POSTGRESQL) {
            char[] password = storage.postgresPassword().orElseThrow().read();
            try {
                PostgresSettings settings = new PostgresSettings(storage.postgresUrl().orElseThrow(),
                    storage.postgresUser().orElseThrow(), new String(password), storage.postgresPoolSize());
                LOGGER.info("ACME S/MIME: state in PostgreSQL {}", settings);
                return PostgresStateStore.open(settings);
            } finally {
                Arrays.fill(password, '\0');
            }
        }
        LOGGER.info("ACME S/MIME: state in the folder {}", storage.fileDirectory());
        return FileStateStore.open(storage.fileDirectory());
    }

    @Provides
    @Singleton
    AccountManager accountManager(AcmeSmimeConfiguration configuration, StateStore stateStore) {
        return new AccountManager(configuration, stateStore, Clock.systemUTC());
    }

    @Provides
    @Singleton
    CertificateOrderService orderService(AcmeSmimeConfiguration configuration, AccountManager accounts,
                                         StateStore stateStore) {
        return new CertificateOrderService(configuration, accounts, stateStore, Clock.systemUTC());
    }
}
