package io.jamesacme.smime.james;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
import io.jamesacme.smime.state.StateStore;
import io.jamesacme.smime.store.CertificateState;
import io.jamesacme.smime.store.CertificateStatus;

/**
 * Resumes the orders that were active when James stopped, and orders a certificate for every
 * hosted user without a valid one. Both start after {@code provisioning.initial-delay}. The
 * resume then runs every half {@code cluster.lease-duration}, so that the orders of a stopped
 * node are taken over soon after their leases run out; the provisioning scan runs every
 * {@code provisioning.interval}, and {@code provisioning.enabled=false} turns it off.
 *
 * <p>A scan holds the lease {@value #SCAN_LEASE} in the state store, so when several nodes share
 * the store, one of them scans at a time. Register this class with
 * {@code guice.extension.startable=io.jamesacme.smime.james.AutomaticProvisioning} in
 * {@code extensions.properties}.
 */
public class AutomaticProvisioning implements UserDefinedStartable {
    private static final Logger LOGGER = LoggerFactory.getLogger(AutomaticProvisioning.class);

    static final String SCAN_LEASE = "provisioning-scan";
    /** How long a scan's lease lasts if its node dies during the scan. */
    private static final Duration SCAN_LEASE_DURATION = Duration.ofMinutes(10);

    private final ProvisioningSettings settings;
    private final CertificateOrderService orders;
    private final UsersRepository users;
    private final StateStore store;
    private final Clock clock;
    private final Duration resumeInterval;
    private final AtomicBoolean scanning = new AtomicBoolean();

    @Inject
    public AutomaticProvisioning(AcmeSmimeConfiguration configuration, CertificateOrderService orders,
                                 UsersRepository users, StateStore store) {
        this.settings = configuration.provisioning();
        this.orders = orders;
        this.users = users;
        this.store = store;
        this.clock = Clock.systemUTC();
        this.resumeInterval = configuration.leaseDuration().dividedBy(2);
    }

    @Override
    public void start() {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "acme-smime-provisioning");
            thread.setDaemon(true);
            return thread;
        });
        long initialDelay = settings.initialDelay().toMillis();
        scheduler.scheduleWithFixedDelay(this::resumeSafely, initialDelay, resumeInterval.toMillis(),
            TimeUnit.MILLISECONDS);
        if (!settings.enabled()) {
            LOGGER.info("Automatic S/MIME provisioning is disabled; active orders resume after {}",
                settings.initialDelay());
            return;
        }
        scheduler.scheduleWithFixedDelay(this::scanSafely, initialDelay, settings.interval().toMillis(),
            TimeUnit.MILLISECONDS);
        LOGGER.info("Automatic S/MIME provisioning every {} after {}, {} orders at once, node {}",
            settings.interval(), settings.initialDelay(), settings.concurrency(), orders.nodeId());
    }

    private void resumeSafely() {
        try {
            int active = orders.resumeActiveOrders();
            if (active > 0) {
                LOGGER.debug("{} active orders in the state store", active);
            }
        } catch (RuntimeException e) {
            LOGGER.error("Resuming the active S/MIME orders failed; the next attempt runs in {}",
                resumeInterval, e);
        }
    }

    private void scanSafely() {
        try {
            scan();
        } catch (UsersRepositoryException | RuntimeException e) {
            LOGGER.error("The S/MIME provisioning scan failed; the next one runs in {}",
                settings.interval(), e);
        }
    }

    /**
     * Requests an order for each hosted user with no valid certificate, no active order and no
     * failed order whose retry time is still ahead, unless another scan is running.
     *
     * @return how many orders the scan requested, or -1 when another scan is running
     */
    public int scan() throws UsersRepositoryException {
        // The lease belongs to the node, so it does not keep a second scan of this node out.
        if (!scanning.compareAndSet(false, true)) {
            LOGGER.info("Skipping the S/MIME provisioning scan: a scan is running on this node");
            return -1;
        }
        try {
            if (!store.acquireLease(SCAN_LEASE, orders.nodeId(), SCAN_LEASE_DURATION, clock.instant())) {
                LOGGER.info("Skipping the S/MIME provisioning scan: another node is scanning");
                return -1;
            }
            try {
                return requestMissingCertificates();
            } finally {
                store.releaseLease(SCAN_LEASE, orders.nodeId());
            }
        } finally {
            scanning.set(false);
        }
    }

    /** Returns true while a failed order's retry time has not come, so that no new order replaces it yet. */
    private boolean isWaitingAfterFailure(CertificateStatus status) {
        return status.state() == CertificateState.FAILED
            && status.nextAttempt().filter(clock.instant()::isBefore).isPresent();
    }

    private int requestMissingCertificates() throws UsersRepositoryException {
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
            if (status.hasValidCertificate(clock.instant()) || status.state().inProgress()
                    || isWaitingAfterFailure(status)) {
                continue;
            }
            LOGGER.info("Provisioning an S/MIME certificate for {}", user.asString());
            orders.request(user.asString());
            requested++;
        }
        LOGGER.debug("Provisioning scan requested {} orders", requested);
        return requested;
    }
}
