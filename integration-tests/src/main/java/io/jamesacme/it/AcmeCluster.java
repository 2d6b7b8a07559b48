package io.jamesacme.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.jamesacme.testca.TestCa;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The test CA (in this JVM) and one or more James 3.8.1 child processes with the extension, all
 * laid out from the same sample configuration on distinct loopback ports. Several nodes share
 * one PostgreSQL store ({@link AcmeLab.Builder#postgresStore}), one PKCS#12 passphrase and one
 * response DKIM key. The CA delivers its challenge mails by SMTP to one node, the mail node, and
 * reads the responses from {@value AcmeLab#CA_ADDRESS} over that node's IMAP.
 *
 * <p>Nodes are numbered from 1. Every node keeps its own memory stores, so domains, users and
 * mailboxes are not shared, and {@link #createDomain} and {@link #createUser} create them on
 * every node. A response that a node other than the mail node sends lands in that node's copy
 * of the CA mailbox, which the CA does not read. Each node writes its certificate files to its
 * own {@code var/acme-smime}; the state lives in the PostgreSQL store that the nodes share.
 *
 * <p>The cluster remembers every domain and user created through it, the CA's own included,
 * and {@link #restartNode} creates them again, because the memory app keeps them in memory
 * only (see {@link AcmeLab#restartJames()} for what a restart loses).
 *
 * <pre>{@code
 * try (AcmeCluster cluster = AcmeCluster.builder(workDirectory)
 *         .postgresStore(database.jdbcUrl(), database.user(), database.password())
 *         .startCluster(2, 2)) {
 *     cluster.createDomain("example.test");
 *     cluster.createUser("alice@example.test", "alice-password");
 *     cluster.webAdmin(1).requestCertificate("alice@example.test");
 *     cluster.node(1).kill();
 *     cluster.restartNode(1);
 * }
 * }</pre>
 */
public final class AcmeCluster implements AutoCloseable {

    static final Duration JAMES_START_TIMEOUT = Duration.ofSeconds(120);

    private static final Logger LOGGER = LoggerFactory.getLogger(AcmeCluster.class);
    private static final Duration STATUS_POLL_INTERVAL = Duration.ofMillis(500);

    private final TestCa ca;
    private final List<JamesServer> nodes;
    private final int mailNode;
    private final Set<String> domains = new LinkedHashSet<>();
    private final Map<String, String> passwordsByUser = new LinkedHashMap<>();

    AcmeCluster(TestCa ca, List<JamesServer> nodes, int mailNode) {
        this.ca = ca;
        this.nodes = new ArrayList<>(nodes);
        this.mailNode = mailNode;
    }

    /** Returns a builder of lab options. Its {@link AcmeLab.Builder#startCluster} starts a cluster. */
    public static AcmeLab.Builder builder(Path workDirectory) {
        return AcmeLab.builder(workDirectory);
    }

    public TestCa ca() {
        return ca;
    }

    /** Returns the number of nodes. */
    public int size() {
        return nodes.size();
    }

    /** Returns the number of the node that the CA sends challenge mails to and reads responses from. */
    public int mailNode() {
        return mailNode;
    }

    /**
     * Returns the current process of a node, which {@link #restartNode} replaces.
     *
     * @param number 1 to {@link #size()}
     */
    public synchronized JamesServer node(int number) {
        return nodes.get(index(number));
    }

    /** Returns the WebAdmin client of a node. Its port stays the same across restarts. */
    public WebAdminClient webAdmin(int number) {
        return node(number).webAdmin();
    }

    /**
     * Creates a hosted domain on every running node and remembers it, so that
     * {@link #restartNode} creates it again. A stopped node gets it when it restarts.
     */
    public synchronized void createDomain(String domain) {
        for (JamesServer node : nodes) {
            if (node.isAlive()) {
                node.webAdmin().createDomain(domain);
            }
        }
        domains.add(domain);
    }

    /**
     * Creates a user on every running node and remembers it with its password, so that
     * {@link #restartNode} creates it again. Its domain must exist.
     */
    public synchronized void createUser(String address, String password) {
        for (JamesServer node : nodes) {
            if (node.isAlive()) {
                node.webAdmin().createUser(address, password);
            }
        }
        passwordsByUser.put(address, password);
    }

    /**
     * Starts a new process for a node after {@link JamesServer#kill()} or after the node halted
     * itself, on the same working directory, ports, {@code conf/} and {@code var/}. Once WebAdmin
     * responds, it creates every remembered domain, then every remembered user with its password.
     * Mails that arrive in between, such as a challenge the CA resends, find no such user.
     *
     * @return the new process, which {@link #node(int)} returns from now on
     * @throws IllegalStateException if the node's process is still running
     */
    public synchronized JamesServer restartNode(int number) throws IOException {
        JamesServer restarted = nodes.get(index(number)).restart(JAMES_START_TIMEOUT);
        nodes.set(index(number), restarted);
        try {
            domains.forEach(restarted.webAdmin()::createDomain);
            passwordsByUser.forEach(restarted.webAdmin()::createUser);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Node " + number + " restarted, but creating its domains and users failed. "
                    + restarted.describeLog(), e);
        }
        LOGGER.info("Node {} restarted (pid {}) with {} domains and {} users created again", number,
                restarted.pid(), domains.size(), passwordsByUser.size());
        return restarted;
    }

    /** Returns the path of a user's PKCS#12 file in a node's certificate store. */
    public Path keyStoreOf(int number, String address) {
        return node(number).workingDirectory().certificatesDirectory().resolve(address + ".p12");
    }

    /** Returns the path of a user's PEM certificate chain in a node's certificate store. */
    public Path chainPemOf(int number, String address) {
        return node(number).workingDirectory().certificatesDirectory().resolve(address + ".chain.pem");
    }

    /**
     * Polls the WebAdmin status of {@code address} on a node until it is valid. Each poll queries
     * the node's current process, so the wait continues across a restart.
     *
     * @throws IllegalStateException when the state becomes failed, with the error and the end of
     *     the node's james.log
     * @throws Polling.PollingTimeoutException when {@code timeout} passes first
     */
    public CertificateStatus awaitValidCertificate(int number, String address, Duration timeout) {
        index(number);
        CertificateStatus[] last = new CertificateStatus[1];
        return Polling.await("a valid certificate for " + address + " on node " + number, timeout,
                STATUS_POLL_INTERVAL,
                () -> {
                    JamesServer node = node(number);
                    Optional<CertificateStatus> status = node.webAdmin().certificateStatus(address);
                    status.ifPresent(value -> last[0] = value);
                    if (status.isPresent() && status.get().isFailed()) {
                        throw new IllegalStateException("Certificate order for " + address + " on node " + number
                                + " failed: " + status.get().json() + System.lineSeparator() + node.describeLog());
                    }
                    return status.filter(CertificateStatus::isValid);
                },
                () -> (last[0] == null ? "no status (404)" : last[0].json()) + System.lineSeparator()
                        + node(number).describeLog());
    }

    /**
     * Stops the CA, then every node. In this order the CA cannot log SMTP failures for orders
     * that James still has in progress, and James logs their failure to james.log instead.
     */
    @Override
    public synchronized void close() {
        try {
            ca.close();
        } catch (Exception e) {
            LOGGER.warn("Failed to stop the test CA", e);
        } finally {
            for (JamesServer node : nodes) {
                node.close();
            }
        }
    }

    private int index(int number) {
        if (number < 1 || number > nodes.size()) {
            throw new IllegalArgumentException("No node " + number + ": nodes are numbered 1 to " + nodes.size());
        }
        return number - 1;
    }
}
