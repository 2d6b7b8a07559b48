package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.jamesacme.testca.ChallengeSigning;
import io.jamesacme.testca.PendingChallenge;
import io.jamesacme.testpostgres.PostgresTestServer;
import io.jamesacme.testpostgres.TestDatabase;

/**
 * A hundred users on James with the PostgreSQL store. The CA holds its challenge mails until all
 * hundred orders wait for them, and the test then sends the hundred DKIM-signed mails at the same
 * moment, each over its own SMTP connection. Every challenge must be answered exactly once, and
 * afterwards every order is stored, every challenge claimed once, and no order holds a key.
 */
class HundredUsersIT {

    @RegisterExtension
    static final PostgresTestServer POSTGRES = new PostgresTestServer();

    private static final String DOMAIN = "example.test";
    private static final int USERS = 100;
    private static final Duration ORDERS_READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration CERTIFICATES_TIMEOUT = Duration.ofSeconds(300);

    @Test
    void hundredConcurrentChallengesAreEachAnsweredOnce() throws Exception {
        TestDatabase database = POSTGRES.newSchema();
        try (AcmeLab lab = AcmeLab.builder(LabDirectories.fresh("hundred-users"))
                .postgresStore(database.jdbcUrl(), database.user(), database.password())
                .challengeMailHeld(true)
                .acmeSetting("provisioning.concurrency", "8")
                .acmeSetting("challenge.timeout", "15m")
                .start()) {
            lab.createDomain(DOMAIN);
            List<String> users = new ArrayList<>();
            for (int i = 1; i <= USERS; i++) {
                String user = String.format("user-%03d@%s", i, DOMAIN);
                lab.createUser(user, "password");
                users.add(user);
            }

            List<MailClient.RawMail> challenges = awaitHeldChallenges(lab, users);
            Instant sent = Instant.now();
            MailClient.sendAllAtOnce(lab.james().smtpPort(), challenges);
            awaitAllValid(lab, users);
            Duration toAllValid = Duration.between(sent, Instant.now());

            Map<String, Integer> responses = new LinkedHashMap<>();
            Map<String, Integer> certificates = new LinkedHashMap<>();
            for (String user : users) {
                responses.put(user, lab.ca().responsesReceived(user));
                certificates.put(user, lab.ca().issuedCertificates(user).size());
            }
            JsonNode metrics = lab.webAdmin().challengeMetrics();
            System.out.println(USERS + " challenges sent at once; all certificates valid "
                    + toAllValid.toMillis() / 100 / 10.0 + " s later; metrics " + metrics);

            assertThat(responses).as("responses the CA received per address")
                    .allSatisfy((user, count) -> assertThat(count).isEqualTo(1));
            assertThat(certificates).as("certificates per address")
                    .allSatisfy((user, count) -> assertThat(count).isEqualTo(1));
            assertThat(metrics.get("answered").asLong()).isEqualTo(USERS);
            assertThat(metrics.get("rejected").asLong()).isZero();
            assertThat(metrics.get("deferred").asLong()).isZero();
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders")).isEqualTo(USERS);
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders WHERE state = 'STORED'"))
                    .isEqualTo(USERS);
            assertThat(DatabaseQueries.integer(database, "SELECT count(DISTINCT address) FROM acme_smime_orders"))
                    .isEqualTo(USERS);
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders WHERE certificate_key IS NOT NULL"))
                    .isZero();
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_challenge_claims")).isEqualTo(USERS);
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders o JOIN acme_smime_challenge_claims c"
                    + " ON c.challenge_url = o.challenge_url")).isEqualTo(USERS);
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_leases WHERE name LIKE 'order:%'"))
                    .isZero();
            assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_account")).isEqualTo(1);
            assertThat(lab.ca().accountCount()).isEqualTo(1);
        }
    }

    /** Waits until every order has fetched its authorization, and returns the held challenge mails. */
    private static List<MailClient.RawMail> awaitHeldChallenges(AcmeLab lab, List<String> users) {
        List<MailClient.RawMail> mails = new ArrayList<>();
        for (String user : users) {
            PendingChallenge challenge = Polling.await("the order of " + user + " to wait for its challenge",
                    ORDERS_READY_TIMEOUT, Duration.ofMillis(250),
                    () -> lab.webAdmin().certificateStatus(user)
                            .filter(status -> status.state().equals("pending"))
                            .flatMap(status -> lab.ca().pendingChallenge(user)),
                    () -> lab.james().describeLog());
            mails.add(new MailClient.RawMail(challenge.from(), List.of(user),
                    lab.ca().challengeMail(user, ChallengeSigning.DKIM)));
        }
        return mails;
    }

    private static void awaitAllValid(AcmeLab lab, List<String> users) {
        for (String user : users) {
            Polling.await("a valid certificate for " + user, CERTIFICATES_TIMEOUT, Duration.ofMillis(500),
                    () -> lab.webAdmin().certificateStatus(user).filter(CertificateStatus::isValid)
                            .or(() -> failed(lab, user)),
                    () -> lab.james().describeLog());
        }
    }

    private static Optional<CertificateStatus> failed(AcmeLab lab, String user) {
        Optional<CertificateStatus> status = lab.webAdmin().certificateStatus(user);
        if (status.isPresent() && status.get().isFailed()) {
            throw new IllegalStateException("The order of " + user + " failed: " + status.get().json());
        }
        return Optional.empty();
    }
}
