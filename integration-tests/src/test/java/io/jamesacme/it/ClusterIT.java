package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.jamesacme.testpostgres.PostgresTestServer;
import io.jamesacme.testpostgres.TestDatabase;

/**
 * Two James nodes share one PostgreSQL state store, and the CA mails node 2. An order started on
 * node 1 is answered by node 2 and completed by node 1; provisioning scans started on both nodes
 * at the same moment create one order per address; and the orders of a node that stopped are
 * taken over by the other once its lease runs out.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    @RegisterExtension
    static final PostgresTestServer POSTGRES = new PostgresTestServer();

    private static final String DOMAIN = "example.test";
    private static final String PASSWORD = "password";
    private static final int SCANNED_USERS = 10;
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);

    private static TestDatabase database;
    private static AcmeCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        database = POSTGRES.newSchema();
        cluster = AcmeCluster.builder(LabDirectories.fresh("cluster"))
                .postgresStore(database.jdbcUrl(), database.user(), database.password())
                // Orders start only where a test requests them.
                .acmeSetting("provisioning.enabled", "false")
                .acmeSetting("provisioning.initial-delay", "1s")
                .acmeSetting("acme.timeout", "3s")
                .acmeSetting("cluster.lease-duration", "10s")
                .startCluster(2, 2);
        cluster.createDomain(DOMAIN);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void orderFromNodeOneIsAnsweredOnNodeTwo() throws Exception {
        String alice = "alice@" + DOMAIN;
        cluster.createUser(alice, PASSWORD);

        cluster.webAdmin(1).requestCertificate(alice);
        cluster.awaitValidCertificate(1, alice, CERTIFICATE_TIMEOUT);

        assertThat(cluster.ca().responsesReceived(alice)).as("responses the CA received").isEqualTo(1);
        assertThat(cluster.webAdmin(2).challengeMetrics().get("answered").asLong()).isEqualTo(1);
        assertThat(cluster.webAdmin(1).challengeMetrics().get("answered").asLong()).isZero();
        assertThat(cluster.webAdmin(2).certificateStatus(alice).orElseThrow().isValid()).isTrue();
        assertThat(cluster.node(1).log()).contains("Triggered the challenge of order", "Stored the certificate");
        assertThat(cluster.node(2).log()).doesNotContain("Triggered the challenge of order");
        assertThat(cluster.keyStoreOf(1, alice)).exists();
        assertThat(cluster.ca().accountCount()).as("ACME accounts of both nodes").isEqualTo(1);
        // The store logs its JDBC URL without parameters, so without the schema.
        String store = "PostgreSQL state store " + database.jdbcUrl().replaceFirst("\\?.*$", "");
        assertThat(cluster.node(1).log()).contains("Migrated the schema of " + store, "Opened " + store);
        assertThat(cluster.node(2).log()).contains("Opened " + store).doesNotContain("Migrated the schema");

        assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders WHERE address = ?", alice)).isEqualTo(1);
        assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders WHERE address = ? AND state = 'STORED'"
                + " AND certificate_key IS NULL", alice)).isEqualTo(1);
        List<String> claimants = DatabaseQueries.strings(database, "SELECT claimant FROM acme_smime_challenge_claims");
        assertThat(claimants).hasSize(1);
        assertThat(claimants.get(0)).as("claimant of the challenge")
                .endsWith(cluster.node(2).workingDirectory().directory().toString());
    }

    @Test
    @Order(2)
    void simultaneousScansCreateOneOrderPerAddress() throws Exception {
        List<String> users = new ArrayList<>();
        for (int i = 1; i <= SCANNED_USERS; i++) {
            String user = String.format("scan-%02d@%s", i, DOMAIN);
            cluster.createUser(user, PASSWORD);
            users.add(user);
        }

        List<HttpResponse<String>> scans = scanOnBothNodesAtOnce();

        for (String user : users) {
            cluster.awaitValidCertificate(1, user, CERTIFICATE_TIMEOUT);
        }
        Map<String, Integer> ordersPerAddress = new LinkedHashMap<>();
        Map<String, Integer> certificatesPerAddress = new LinkedHashMap<>();
        for (String user : users) {
            ordersPerAddress.put(user, DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders WHERE address = ?", user));
            certificatesPerAddress.put(user, cluster.ca().issuedCertificates(user).size());
        }
        System.out.println("Scans: node 1 " + scans.get(0).statusCode() + " " + scans.get(0).body()
                + ", node 2 " + scans.get(1).statusCode() + " " + scans.get(1).body());
        assertThat(ordersPerAddress).as("orders per address").allSatisfy((user, count) -> assertThat(count).isEqualTo(1));
        assertThat(certificatesPerAddress).as("certificates per address")
                .allSatisfy((user, count) -> assertThat(count).isEqualTo(1));
        assertThat(scans).extracting(HttpResponse::statusCode).allSatisfy(code -> assertThat(code).isIn(200, 409));
        assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_leases WHERE name = 'provisioning-scan'")).isZero();
    }

    @Test
    @Order(3)
    void orderOfStoppedNodeIsTakenOver() throws Exception {
        String carol = "carol@" + DOMAIN;
        JamesWorkingDirectory node1 = cluster.node(1).workingDirectory();
        node1.setSystemProperty(CrashPoints.PROPERTY, "VALID");
        cluster.node(1).kill();
        cluster.restartNode(1);
        cluster.createUser(carol, PASSWORD);

        cluster.webAdmin(1).requestCertificate(carol);
        assertThat(cluster.node(1).awaitExit(CERTIFICATE_TIMEOUT)).as("exit status of node 1").isEqualTo(CrashPoints.HALT_STATUS);
        cluster.awaitValidCertificate(2, carol, CERTIFICATE_TIMEOUT);

        assertThat(cluster.node(2).log()).contains("Finalized order");
        assertThat(cluster.keyStoreOf(2, carol)).exists();
        assertThat(cluster.ca().issuedCertificates(carol)).hasSize(1);
        assertThat(DatabaseQueries.integer(database, "SELECT count(*) FROM acme_smime_orders WHERE address = ?", carol)).isEqualTo(1);
        assertThat(cluster.ca().accountCount()).isEqualTo(1);
    }

    private static List<HttpResponse<String>> scanOnBothNodesAtOnce() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int node = 1; node <= 2; node++) {
                WebAdminClient webAdmin = cluster.webAdmin(node);
                futures.add(threads.submit(() -> {
                    start.await();
                    return webAdmin.provisioningScan();
                }));
            }
            start.countDown();
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (Future<HttpResponse<String>> future : futures) {
                responses.add(future.get());
            }
            return responses;
        } finally {
            threads.shutdownNow();
        }
    }
}
