package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.jamesacme.testpostgres.PostgresTestServer;
import io.jamesacme.testpostgres.TestDatabase;

/**
 * Self-test of {@link AcmeCluster}: two James nodes on one PostgreSQL schema, with the CA mailing
 * node 2. A certificate ordered through node 2's WebAdmin becomes valid, and node 1 opened the
 * same store: it migrated the schema, so node 2 found it current.
 */
class HarnessClusterIT {

    @RegisterExtension
    static final PostgresTestServer POSTGRES = new PostgresTestServer();

    private static final String DOMAIN = "example.test";
    private static final String ALICE = "alice@" + DOMAIN;
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);

    @Test
    void orderThroughMailNodeCompletes() throws Exception {
        TestDatabase database = POSTGRES.newSchema();
        try (AcmeCluster cluster = AcmeCluster.builder(LabDirectories.fresh("harness-cluster"))
                .postgresStore(database.jdbcUrl(), database.user(), database.password())
                .acmeSetting("provisioning.enabled", "false")
                .startCluster(2, 2)) {
            cluster.createDomain(DOMAIN);
            cluster.createUser(ALICE, "alice-password");

            cluster.webAdmin(2).requestCertificate(ALICE);
            cluster.awaitValidCertificate(2, ALICE, CERTIFICATE_TIMEOUT);

            JamesWorkingDirectory node1 = cluster.node(1).workingDirectory();
            JamesWorkingDirectory node2 = cluster.node(2).workingDirectory();
            assertThat(node2.webAdminPort()).isNotEqualTo(node1.webAdminPort());
            assertThat(node2.pkcs12Passphrase()).isEqualTo(node1.pkcs12Passphrase());
            assertThat(node2.responseDkimRecord()).isEqualTo(node1.responseDkimRecord());
            IssuedCertificate certificate = IssuedCertificate.load(cluster.keyStoreOf(2, ALICE),
                    node1.pkcs12Passphrase().toCharArray(), ALICE);
            certificate.verifyChain(cluster.ca().rootCertificate());

            assertThat(cluster.ca().responsesReceived(ALICE)).isEqualTo(1);
            assertThat(cluster.webAdmin(2).challengeMetrics().get("answered").asLong()).isEqualTo(1);
            assertThat(cluster.webAdmin(1).challengeMetrics().get("answered").asLong()).isZero();
            assertThat(cluster.webAdmin(1).certificateStatus(ALICE).orElseThrow().state()).isEqualTo("none");

            // The store logs its JDBC URL without parameters, so without the schema.
            String store = "PostgreSQL state store " + database.jdbcUrl().replaceFirst("\\?.*$", "");
            assertThat(cluster.node(1).log()).contains("Migrated the schema of " + store, "Opened " + store);
            assertThat(cluster.node(2).log()).contains("Opened " + store).doesNotContain("Migrated the schema");
            try (Connection connection = PostgresTestServer.connect(database);
                 Statement statement = connection.createStatement();
                 ResultSet claims = statement.executeQuery("SELECT count(*) FROM acme_smime_challenge_claims")) {
                claims.next();
                assertThat(claims.getInt(1)).isEqualTo(1);
            }
        }
    }
}
