package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * James halts at each crash point of an order, as if killed, and starts again on the same file
 * store. The extension halts its own JVM at the point named by the system property
 * {@value CrashPoints#PROPERTY}, which the test sets for one run of James only. After the restart the
 * order must complete, or fail and be replaced by a new order that completes, with one
 * certificate per address at the CA, one ACME account, and no private key left in any order.
 *
 * <p>The memory server loses its mailboxes at a restart, the CA's INBOX included. A response that
 * reached the CA's INBOX before the halt at {@code ANSWERED} is therefore gone, the CA finds no
 * response after the trigger, and the order is replaced. With persistent mailboxes that order
 * would complete.
 */
class RestartRecoveryIT {

    private static final String DOMAIN = "example.test";
    private static final String PASSWORD = "password";
    private static final Duration HALT_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(180);
    private static final List<String> TABLE = new ArrayList<>();

    private static AcmeLab lab;

    @BeforeAll
    static void startLab() throws Exception {
        lab = AcmeLab.builder(LabDirectories.fresh("restart-recovery"))
                // Users are created again after each restart before the first resume runs.
                .provisioningInitialDelay(Duration.ofSeconds(3))
                .provisioningInterval(Duration.ofSeconds(3))
                .acmeSetting("challenge.trigger-delay", "2s")
                .start();
        lab.createDomain(DOMAIN);
    }

    @AfterAll
    static void stopLab() {
        System.out.println();
        System.out.println(String.format("%-20s | %-72s | %-24s | %s", "point", "outcome",
                "certificates per address", "account count"));
        TABLE.forEach(System.out::println);
        if (lab != null) {
            lab.close();
        }
    }

    /** A crash point, and whether the order it interrupts may still complete after the restart. */
    record CrashCase(String point, boolean sameOrderCompletes) {
        @Override
        public String toString() {
            return point;
        }
    }

    static Stream<CrashCase> crashPoints() {
        return Stream.of(
                new CrashCase("CREATED", true),
                new CrashCase("CHALLENGE_RECEIVED", false),
                new CrashCase("ANSWERED", false),
                new CrashCase("VALID", true),
                new CrashCase("ISSUED", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("crashPoints")
    void orderRecoversAfterHalt(CrashCase crash) throws Exception {
        String user = crash.point().toLowerCase(Locale.ROOT).replace('_', '-') + "@" + DOMAIN;
        JamesWorkingDirectory directory = lab.james().workingDirectory();
        directory.setSystemProperty(CrashPoints.PROPERTY, crash.point());
        lab.james().kill();
        lab.restartJames();

        // Provisioning orders for the new user, and James halts at the crash point.
        lab.createUser(user, PASSWORD);
        int exitStatus = lab.james().awaitExit(HALT_TIMEOUT);
        assertThat(exitStatus).as("exit status of the halted James").isEqualTo(CrashPoints.HALT_STATUS);
        assertThat(lab.james().logOfThisRun()).contains("halting the JVM at crash point " + crash.point());

        directory.removeSystemProperty(CrashPoints.PROPERTY);
        lab.restartJames();
        CertificateStatus status = awaitValid(user);

        JsonNode orders = lab.webAdmin().orders(user);
        List<X509Certificate> issued = lab.ca().issuedCertificates(user);
        int accounts = lab.ca().accountCount();
        String outcome = describe(orders);
        TABLE.add(String.format("%-20s | %-72s | %-24d | %d", crash.point(), outcome, issued.size(), accounts));

        assertThat(issued).as("certificates the CA issued for " + user).hasSize(1);
        assertThat(accounts).as("ACME accounts").isEqualTo(1);
        assertNoOrderActiveOrHoldingKey(orders);
        assertThat(stored(orders)).as("stored orders of " + user).hasSize(1);
        if (crash.sameOrderCompletes()) {
            assertThat(orders).as("orders of " + user).hasSize(1);
        }
        IssuedCertificate certificate = IssuedCertificate.load(status.keyStore(),
                directory.pkcs12Passphrase().toCharArray(), user);
        certificate.verifyChain(lab.ca().rootCertificate());
        assertThat(certificate.endEntity()).isEqualTo(issued.get(0));
        assertCertificateFilesOnlyFor(directory, user);
    }

    /** Waits for a valid certificate; a failed order on the way is expected, since it is replaced. */
    private static CertificateStatus awaitValid(String user) {
        return Polling.await("a valid certificate for " + user + " after the restart", RECOVERY_TIMEOUT,
                Duration.ofMillis(500),
                () -> lab.webAdmin().certificateStatus(user).filter(CertificateStatus::isValid),
                () -> lab.webAdmin().orders(user) + System.lineSeparator() + lab.james().describeLog());
    }

    private static String describe(JsonNode orders) {
        if (orders.size() == 1) {
            return "completed (same order)";
        }
        JsonNode first = orders.get(0);
        String reason = first.path("failure").asText("");
        reason = reason.length() > 30 ? reason.substring(0, 30) + "..." : reason;
        return "restarted: " + orders.size() + " orders, first " + first.get("state").asText() + " (" + reason + ")";
    }

    private static void assertNoOrderActiveOrHoldingKey(JsonNode orders) {
        for (JsonNode order : orders) {
            String state = order.get("state").asText();
            assertThat(state).as("state of order " + order.get("id")).isIn("stored", "failed");
            assertThat(order.get("holdsPrivateKey").asBoolean()).as("key in order " + order.get("id")).isFalse();
        }
    }

    private static List<JsonNode> stored(JsonNode orders) {
        List<JsonNode> stored = new ArrayList<>();
        orders.forEach(order -> {
            if ("stored".equals(order.get("state").asText())) {
                stored.add(order);
            }
        });
        return stored;
    }

    /**
     * Checks that the certificates folder holds a key store and a chain for the user and no
     * temporary file that a crash left behind.
     */
    private static void assertCertificateFilesOnlyFor(JamesWorkingDirectory directory, String user)
            throws IOException {
        Path folder = directory.certificatesDirectory();
        assertThat(folder.resolve(user + ".p12")).exists();
        assertThat(folder.resolve(user + ".chain.pem")).exists();
        try (Stream<Path> files = Files.list(folder)) {
            Optional<Path> temporary = files.filter(file -> file.getFileName().toString().startsWith("."))
                    .findFirst();
            assertThat(temporary).as("temporary file in " + folder).isEmpty();
        }
    }
}
