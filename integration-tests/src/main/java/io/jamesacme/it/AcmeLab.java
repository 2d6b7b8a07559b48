package io.jamesacme.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.jamesacme.testca.ChallengeSigning;
import io.jamesacme.testca.ChallengeTiming;
import io.jamesacme.testca.TestCa;
import io.jamesacme.testca.TestCaConfig;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The test CA (in this JVM) and a James 3.8.1 child process with the extension, wired to each
 * other on loopback. The CA delivers challenge mails to James by SMTP and reads the responses from
 * its own James mailbox, {@value #CA_ADDRESS}, over IMAP.
 */
public final class AcmeLab implements AutoCloseable {

    public static final String CA_DOMAIN = "ca.test";
    public static final String CA_ADDRESS = "acme-ca@" + CA_DOMAIN;

    private static final Logger LOGGER = LoggerFactory.getLogger(AcmeLab.class);
    private static final Duration JAMES_START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STATUS_POLL_INTERVAL = Duration.ofMillis(500);

    private final TestCa ca;
    private final JamesServer james;

    private AcmeLab(TestCa ca, JamesServer james) {
        this.ca = ca;
        this.james = james;
    }

    public static Builder builder(Path workDirectory) {
        return new Builder(workDirectory);
    }

    public TestCa ca() {
        return ca;
    }

    public JamesServer james() {
        return james;
    }

    public WebAdminClient webAdmin() {
        return james.webAdmin();
    }

    /** Returns the path of a user's PKCS#12 file in the extension's default store. */
    public Path keyStoreOf(String address) {
        return james.workingDirectory().certificatesDirectory().resolve(address + ".p12");
    }

    /** Returns the path of a user's PEM certificate chain in the extension's default store. */
    public Path chainPemOf(String address) {
        return james.workingDirectory().certificatesDirectory().resolve(address + ".chain.pem");
    }

    /**
     * Polls the WebAdmin status of {@code address} until it is valid.
     *
     * @throws IllegalStateException when the state becomes failed, with the error and the end of james.log
     * @throws Polling.PollingTimeoutException when {@code timeout} passes first
     */
    public CertificateStatus awaitValidCertificate(String address, Duration timeout) {
        CertificateStatus[] last = new CertificateStatus[1];
        return Polling.await("a valid certificate for " + address, timeout, STATUS_POLL_INTERVAL,
                () -> {
                    Optional<CertificateStatus> status = webAdmin().certificateStatus(address);
                    status.ifPresent(value -> last[0] = value);
                    if (status.isPresent() && status.get().isFailed()) {
                        throw new IllegalStateException("Certificate order for " + address + " failed: "
                                + status.get().json() + System.lineSeparator() + james.describeLog());
                    }
                    return status.filter(CertificateStatus::isValid);
                },
                () -> (last[0] == null ? "no status (404)" : last[0].json()) + System.lineSeparator()
                        + james.describeLog());
    }

    /**
     * Stops the CA, then James. In this order the CA cannot log SMTP failures for orders that
     * James still has in progress; James logs their failure to james.log instead.
     */
    @Override
    public void close() {
        try {
            ca.close();
        } catch (Exception e) {
            LOGGER.warn("Failed to stop the test CA", e);
        } finally {
            james.close();
        }
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
         * Lays out James, starts the CA and James, and creates the CA's domain and mailbox.
         * The CA starts first because James' configuration needs its directory URL and trust
         * store, and it connects to James only when it sends or reads mail.
         */
        public AcmeLab start() throws Exception {
            Files.createDirectories(workDirectory);
            JamesWorkingDirectory jamesDirectory = JamesWorkingDirectory.create(layout, workDirectory.resolve("james"));
            String caPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));

            TestCaConfig.Builder caConfig = TestCaConfig.builder()
                    .httpsPort(0)
                    .stateDirectory(workDirectory.resolve("ca"))
                    .smtp("127.0.0.1", submitWithSmtpAuth ? jamesDirectory.submissionPort() : jamesDirectory.smtpPort())
                    .imap("127.0.0.1", jamesDirectory.imapPort(), CA_ADDRESS, caPassword)
                    .caAddress(CA_ADDRESS)
                    .challengeTiming(challengeTiming)
                    .challengeSigning(challengeSigning)
                    .challengeMailHeld(challengeMailHeld);
            if (submitWithSmtpAuth) {
                caConfig.smtpAuth(CA_ADDRESS, caPassword);
            }
            TestCa ca = TestCa.start(caConfig.build());
            JamesServer james = null;
            try {
                jamesDirectory.configureAcme(acmeProperties(ca));
                for (Map.Entry<String, String> parameter : mailetParameters.entrySet()) {
                    jamesDirectory.setChallengeMailetParameter(parameter.getKey(), parameter.getValue());
                }
                james = JamesServer.start(layout, jamesDirectory, JAMES_START_TIMEOUT);
                james.webAdmin().createDomain(CA_DOMAIN);
                james.webAdmin().createUser(CA_ADDRESS, caPassword);
                LOGGER.info("ACME lab ready: CA {} (timing {}, signing {}{}), James in {}", ca.directoryUrl(),
                        challengeTiming, challengeSigning, submitWithSmtpAuth ? ", SMTP AUTH" : "",
                        jamesDirectory.directory());
                return new AcmeLab(ca, james);
            } catch (Exception | Error e) {
                if (james != null) {
                    james.close();
                }
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
            properties.putAll(acmeSettings);
            return properties;
        }
    }
}
