package io.jamesacme.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

import io.jamesacme.testca.ChallengeSigning;
import io.jamesacme.testca.ChallengeTiming;
import io.jamesacme.testca.TestCa;
import io.jamesacme.testca.TestCaConfig;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The test CA (in this JVM) and a James 3.8.1 child process with the extension, wired to each
 * other on loopback. The CA delivers challenge mails to James by SMTP and reads the responses from
 * its own James mailbox, {@value #CA_ADDRESS}, over IMAP. It is a one-node {@link AcmeCluster}.
 */
public final class AcmeLab implements AutoCloseable {

    public static final String CA_DOMAIN = "ca.test";
    public static final String CA_ADDRESS = "acme-ca@" + CA_DOMAIN;

    private static final Logger LOGGER = LoggerFactory.getLogger(AcmeLab.class);

    private final AcmeCluster cluster;

    private AcmeLab(AcmeCluster cluster) {
        this.cluster = cluster;
    }

    public static Builder builder(Path workDirectory) {
        return new Builder(workDirectory);
    }

    public TestCa ca() {
        return cluster.ca();
    }

    /** Returns the current James process, which {@link #restartJames()} replaces. */
    public JamesServer james() {
        return cluster.node(1);
    }

    public WebAdminClient webAdmin() {
        return james().webAdmin();
    }

    /**
     * Creates a hosted domain and remembers it for {@link #restartJames()}. A domain created with
     * {@code webAdmin().createDomain} directly is lost at a restart.
     */
    public void createDomain(String domain) {
        cluster.createDomain(domain);
    }

    /**
     * Creates a user and remembers it with its password for {@link #restartJames()}. A user
     * created with {@code webAdmin().createUser} directly is lost at a restart.
     */
    public void createUser(String address, String password) {
        cluster.createUser(address, password);
    }

    /**
     * Starts James again after {@code james().kill()} or after it halted itself, on the same
     * working directory, ports, {@code conf/} and {@code var/}, and creates again every domain and
     * user made with {@link #createDomain} and {@link #createUser}, the CA's mailbox with its
     * password included. Remove a system property that made James halt
     * ({@code james().workingDirectory().removeSystemProperty}) before calling this.
     *
     * <p>The memory app of James 3.8.1 keeps the following in memory only, so a restart loses it:
     * <ul>
     *   <li>hosted domains and users, except the default domain {@code localhost} of
     *       {@code domainlist.xml};
     *   <li>mailboxes and their messages, the CA's INBOX too, so {@link TestCa#responsesReceived}
     *       counts only the responses that arrived after the restart;
     *   <li>mails in the mail queues ({@code MemoryMailQueueModule}), such as a challenge mail
     *       accepted over SMTP but not yet processed;
     *   <li>the mails of the sample's {@code memory://} repositories, such as
     *       {@code var/mail/error/} and {@code var/mail/acme-smime-unanswered/}.
     * </ul>
     * {@code HarnessRestartIT} checks the loss of domains and mailbox messages. The loss of a
     * relay mail waiting in the {@code outgoing} queue and of a mail in
     * {@code var/mail/acme-smime-unanswered/} was measured once with this harness, not by a test.
     * Files under the working directory survive: {@code conf/} and the extension's store
     * {@code var/acme-smime} (the certificates and the file state store with the account and the
     * orders). The CA keeps its accounts, orders and request log, since it runs in this JVM.
     *
     * @return the new James process
     * @throws IllegalStateException if James is still running
     */
    public JamesServer restartJames() throws IOException {
        return cluster.restartNode(1);
    }

    /** Returns the path of a user's PKCS#12 file in the extension's default store. */
    public Path keyStoreOf(String address) {
        return cluster.keyStoreOf(1, address);
    }

    /** Returns the path of a user's PEM certificate chain in the extension's default store. */
    public Path chainPemOf(String address) {
        return cluster.chainPemOf(1, address);
    }

    /**
     * Polls the WebAdmin status of {@code address} until it is valid.
     *
     * @throws IllegalStateException when the state becomes failed, with the error and the end of james.log
     * @throws Polling.PollingTimeoutException when {@code timeout} passes first
     */
    public CertificateStatus awaitValidCertificate(String address, Duration timeout) {
        return cluster.awaitValidCertificate(1, address, timeout);
    }

    /**
     * Stops the CA, then James. In this order the CA cannot log SMTP failures for orders that
     * James still has in progress; James logs their failure to james.log instead.
     */
    @Override
    public void close() {
        cluster.close();
    }

    /** Options of an {@link AcmeLab}; every duration has a default sized for tests. */
    public static final class Builder {
        private final Path workDirectory;
        private ProjectLayout layout = ProjectLayout.fromSystemProperty();
        private ChallengeTiming challengeTiming = ChallengeTiming.AFTER_AUTHORIZATION_FETCH;
        private ChallengeSigning challengeSigning = ChallengeSigning.DKIM;
        private boolean challengeMailHeld;
        private boolean submitWithSmtpAuth;
        private String authenticity = "dkim,smime";
        private final List<String> extraDkimRecords = new ArrayList<>();
        private final List<String> caKeyDomains = new ArrayList<>();
        private Duration provisioningInterval = Duration.ofSeconds(3);
        private Duration provisioningInitialDelay = Duration.ofSeconds(1);
        private final Map<String, String> acmeSettings = new LinkedHashMap<>();
        private final Map<String, String> mailetParameters = new LinkedHashMap<>();
        private final Map<String, String> systemProperties = new LinkedHashMap<>();
        private TestDatabaseSettings postgres;

        private Builder(Path workDirectory) {
            this.workDirectory = workDirectory;
        }

        public Builder layout(ProjectLayout layout) {
            this.layout = layout;
            return this;
        }

        public Builder challengeTiming(ChallengeTiming timing) {
            this.challengeTiming = timing;
            return this;
        }

        /** Sets how the CA signs its challenge mails; default {@link ChallengeSigning#DKIM}. */
        public Builder challengeSigning(ChallengeSigning signing) {
            this.challengeSigning = signing;
            return this;
        }

        /** Makes the CA keep its challenge mails, for tests that send them; default false. */
        public Builder challengeMailHeld(boolean held) {
            this.challengeMailHeld = held;
            return this;
        }

        /**
         * Makes the CA submit its challenge mails on James' submission port with SMTP AUTH as
         * {@value AcmeLab#CA_ADDRESS}. {@code ca.trusted-sender.smtp-user} names that account, so
         * {@code authenticity("trusted-local-sender")} accepts these mails.
         */
        public Builder submitWithSmtpAuth() {
            this.submitWithSmtpAuth = true;
            return this;
        }

        /**
         * Adds a line {@code <selector>._domainkey.<domain> <TXT value>} to the DKIM key file James
         * reads besides the CA's own record. The value {@code !tempfail} simulates a DNS timeout.
         */
        public Builder extraDkimKeyRecord(String name, String value) {
            extraDkimRecords.add(name + " " + value);
            return this;
        }

        /**
         * Publishes the CA's own DKIM key also for {@code domain} in the key file James reads,
         * so that the CA can sign valid signatures for a domain other than its own.
         */
        public Builder caDkimKeyAlsoFor(String domain) {
            caKeyDomains.add(domain);
            return this;
        }

        /** Sets {@code ca.authenticity}; default {@code dkim,smime}. */
        public Builder authenticity(String methods) {
            this.authenticity = methods;
            return this;
        }

        /** Sets {@code provisioning.interval}; default 3 s. */
        public Builder provisioningInterval(Duration interval) {
            this.provisioningInterval = interval;
            return this;
        }

        /** Sets {@code provisioning.initial-delay}; default 1 s. */
        public Builder provisioningInitialDelay(Duration delay) {
            this.provisioningInitialDelay = delay;
            return this;
        }

        /** Sets an init parameter of the sample's AnswerAcmeChallenge mailet. */
        public Builder challengeMailetParameter(String name, String value) {
            mailetParameters.put(name, value);
            return this;
        }

        /** Sets any other key of acme-smime.properties. */
        public Builder acmeSetting(String key, String value) {
            acmeSettings.put(key, value);
            return this;
        }

        /**
         * Sets {@code storage.type=postgresql} with this database on every node. The password goes
         * to {@code database-password.txt} (mode 0600) in the work directory, which
         * {@code storage.postgresql.password.source} names. An {@link #acmeSetting} of the same
         * key wins.
         */
        public Builder postgresStore(String jdbcUrl, String user, String password) {
            this.postgres = new TestDatabaseSettings(jdbcUrl, user, password);
            return this;
        }

        /**
         * Sets a JVM system property of every James node from its first start on, as
         * {@link JamesWorkingDirectory#setSystemProperty} does. Remove it there before a restart
         * that must run without it.
         */
        public Builder jamesSystemProperty(String name, String value) {
            systemProperties.put(name, value);
            return this;
        }

        /**
         * Lays out James, starts the CA and James, and creates the CA's domain and mailbox.
         * The CA starts first because James' configuration needs its directory URL and trust
         * store, and it connects to James only when it sends or reads mail.
         */
        public AcmeLab start() throws Exception {
            return new AcmeLab(startNodes(1, 1));
        }

        /**
         * Lays out {@code nodeCount} James nodes that share the PostgreSQL store of
         * {@link #postgresStore}, starts the CA and the nodes one after the other, and creates the
         * CA's domain and mailbox on each. Node {@code n} lives in {@code <work>/james-<n>}.
         *
         * @param mailNode the node (1 to {@code nodeCount}) the CA mails its challenges to and
         *     reads the responses from
         * @throws IllegalStateException if {@link #postgresStore} was not set
         */
        public AcmeCluster startCluster(int nodeCount, int mailNode) throws Exception {
            if (nodeCount < 2) {
                throw new IllegalArgumentException("Invalid node count " + nodeCount
                        + ": a cluster needs at least 2 nodes. Use start() for one node.");
            }
            if (postgres == null) {
                throw new IllegalStateException("Nodes of a cluster share one store: call postgresStore(...) first");
            }
            return startNodes(nodeCount, mailNode);
        }

        private AcmeCluster startNodes(int nodeCount, int mailNode) throws Exception {
            if (mailNode < 1 || mailNode > nodeCount) {
                throw new IllegalArgumentException("Invalid mail node " + mailNode + ": nodes are numbered 1 to "
                        + nodeCount);
            }
            Files.createDirectories(workDirectory);
            FreePorts freePorts = new FreePorts();
            List<JamesWorkingDirectory> directories = new ArrayList<>();
            for (int number = 1; number <= nodeCount; number++) {
                String name = nodeCount == 1 ? "james" : "james-" + number;
                directories.add(JamesWorkingDirectory.create(layout, workDirectory.resolve(name), freePorts,
                        directories.isEmpty() ? null : directories.get(0)));
            }
            JamesWorkingDirectory mailDirectory = directories.get(mailNode - 1);
            String caPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));

            TestCaConfig.Builder caConfig = TestCaConfig.builder()
                    .httpsPort(0)
                    .stateDirectory(workDirectory.resolve("ca"))
                    .smtp("127.0.0.1", submitWithSmtpAuth ? mailDirectory.submissionPort() : mailDirectory.smtpPort())
                    .imap("127.0.0.1", mailDirectory.imapPort(), CA_ADDRESS, caPassword)
                    .caAddress(CA_ADDRESS)
                    .challengeTiming(challengeTiming)
                    .challengeSigning(challengeSigning)
                    .challengeMailHeld(challengeMailHeld);
            if (submitWithSmtpAuth) {
                caConfig.smtpAuth(CA_ADDRESS, caPassword);
            }
            TestCa ca = TestCa.start(caConfig.build());
            List<JamesServer> nodes = new ArrayList<>();
            try {
                Map<String, String> properties = acmeProperties(ca);
                for (JamesWorkingDirectory directory : directories) {
                    directory.configureAcme(properties);
                    for (Map.Entry<String, String> parameter : mailetParameters.entrySet()) {
                        directory.setChallengeMailetParameter(parameter.getKey(), parameter.getValue());
                    }
                    for (Map.Entry<String, String> property : systemProperties.entrySet()) {
                        directory.setSystemProperty(property.getKey(), property.getValue());
                    }
                }
                for (JamesWorkingDirectory directory : directories) {
                    nodes.add(JamesServer.start(layout, directory, AcmeCluster.JAMES_START_TIMEOUT));
                }
                AcmeCluster cluster = new AcmeCluster(ca, nodes, mailNode);
                cluster.createDomain(CA_DOMAIN);
                cluster.createUser(CA_ADDRESS, caPassword);
                LOGGER.info("ACME lab ready: CA {} (timing {}, signing {}{}), {} James node(s) in {}, CA mails node {}",
                        ca.directoryUrl(), challengeTiming, challengeSigning, submitWithSmtpAuth ? ", SMTP AUTH" : "",
                        nodeCount, workDirectory, mailNode);
                return cluster;
            } catch (Exception | Error e) {
                nodes.forEach(JamesServer::close);
                ca.close();
                throw e;
            }
        }

        private Map<String, String> acmeProperties(TestCa ca) throws IOException {
            Map<String, String> properties = new LinkedHashMap<>();
            properties.put("acme.directory", ca.directoryUrl().toString());
            properties.put("acme.truststore", ca.trustStore().toAbsolutePath().toString());
            properties.put("acme.truststore.password", String.valueOf(ca.trustStorePassword()));
            properties.put("acme.truststore.type", String.valueOf(ca.trustStoreType()));
            properties.put("acme.terms-of-service.agreed", "true");
            properties.put("provisioning.enabled", "true");
            properties.put("provisioning.interval", Math.max(1, provisioningInterval.toSeconds()) + "s");
            properties.put("provisioning.initial-delay", Math.max(1, provisioningInitialDelay.toSeconds()) + "s");
            // The CA's own mailbox is a hosted user, but it needs no certificate.
            properties.put("provisioning.exclude", "@" + CA_DOMAIN);
            // The CA profile trusts the test CA's DKIM key and S/MIME root, without DNS.
            properties.put("ca.authenticity", authenticity);
            Path keyRecords = ca.dkimKeyRecordsFile().toAbsolutePath();
            if (!extraDkimRecords.isEmpty() || !caKeyDomains.isEmpty()) {
                List<String> lines = new ArrayList<>(Files.readAllLines(keyRecords, StandardCharsets.UTF_8));
                lines.addAll(extraDkimRecords);
                for (String domain : caKeyDomains) {
                    lines.add(TestCa.DKIM_SELECTOR + "._domainkey." + domain + " " + ca.dkimKeyRecord());
                }
                keyRecords = workDirectory.resolve("dkim-key-records.txt").toAbsolutePath();
                Files.write(keyRecords, lines, StandardCharsets.UTF_8);
            }
            properties.put("ca.dkim.key-source", "file:" + keyRecords);
            properties.put("ca.smime.trust-anchors", ca.rootCertificatePem().toAbsolutePath().toString());
            properties.put("ca.trusted-sender.smtp-user", CA_ADDRESS);
            if (postgres != null) {
                Path passwordFile = workDirectory.resolve("database-password.txt").toAbsolutePath();
                Files.writeString(passwordFile, postgres.password() + "\n", StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
                properties.put("storage.type", "postgresql");
                properties.put("storage.postgresql.url", postgres.jdbcUrl());
                properties.put("storage.postgresql.user", postgres.user());
                properties.put("storage.postgresql.password.source", "file:" + passwordFile);
            }
            properties.putAll(acmeSettings);
            return properties;
        }
    }

    /** Connection settings of the PostgreSQL store that {@link Builder#postgresStore} sets. */
    private record TestDatabaseSettings(String jdbcUrl, String user, String password) {
        @Override
        public String toString() {
            return "TestDatabaseSettings[jdbcUrl=" + jdbcUrl + ", user=" + user + "]";
        }
    }
}
