package io.jamesacme.smime.james;

import java.time.Clock;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.apache.james.core.Username;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.api.UsersRepositoryException;
import org.apache.james.utils.UserDefinedStartable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.acme.CertificateOrderService;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.config.AcmeSmimeConfiguration.ProvisioningSettings;
import io.jamesacme.smime.store.CertificateStatus;

/**
 * Orders a certificate for every hosted user without a valid one, after
 * {@code provisioning.initial-delay} and then every {@code provisioning.interval}. Register it
 * with {@code guice.extension.startable=io.jamesacme.smime.james.AutomaticProvisioning} in
 * {@code extensions.properties}; {@code provisioning.enabled=false} turns it off.
 */
public class AutomaticProvisioning implements UserDefinedStartable {
    private static final Logger LOGGER = LoggerFactory.getLogger(AutomaticProvisioning.class);

    private final ProvisioningSettings settings;
    private final CertificateOrderService orders;
    private final UsersRepository users;
    private final Clock clock;

    @Inject
    public AutomaticProvisioning(AcmeSmimeConfiguration configuration,
                                 CertificateOrderService orders, UsersRepository users) {
        this.settings = configuration.provisioning();
        this.orders = orders;
        this.users = users;
        this.clock = Clock.systemUTC();
    }

    @Override
    public void start() {
        if (!settings.enabled()) {
            LOGGER.info("Automatic S/MIME provisioning is disabled");
            return;
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "acme-smime-provisioning");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::scanSafely, settings.initialDelay().toMillis(),
            settings.interval().toMillis(), TimeUnit.MILLISECONDS);
        LOGGER.info("Automatic S/MIME provisioning every {} after {}, {} orders at once",
            settings.interval(), settings.initialDelay(), settings.concurrency());
    }

    private void scanSafely() {
        try {
            scan();
        } catch (UsersRepositoryException | RuntimeException e) {
            LOGGER.error("The S/MIME provisioning scan failed; the next one runs in {}",
                settings.interval(), e);
        }
    }

    /** Requests an order for each hosted user with no valid certificate and no order running. */
    void scan() throws UsersRepositoryException {
        // TODO: take the StateStore "provisioning" lease, so that only one James node scans at a time.
        int requested = 0;
        for (Iterator<Username> it = users.list(); it.hasNext(); ) {
            Username user = it.next();
            if (user.getDomainPart().isEmpty()) {
                LOGGER.debug("Skipping user {} without a domain part", user.asString());
                continue;
            }
            if (settings.excludes(user.asString())) {
                LOGGER.debug("Skipping user {}: excluded by provisioning.exclude", user.asString());
                continue;
            }
            CertificateStatus status = orders.status(user.asString());
            if (status.hasValidCertificate(clock.instant()) || status.state().inProgress()) {
                continue;
            }
            LOGGER.info("Provisioning an S/MIME certificate for {}", user.asString());
            orders.request(user.asString());
            requested++;
        }
        LOGGER.debug("Provisioning scan requested {} orders", requested);
    }
}
