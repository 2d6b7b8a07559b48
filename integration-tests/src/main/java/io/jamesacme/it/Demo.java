package io.jamesacme.it;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * Runs the test CA and a real James 3.8.1 with the extension, creates two users in
 * {@value #DOMAIN}, waits for automatic provisioning and prints each user's certificate.
 * Exit code 0 on success, 1 on any failure or timeout, 2 on invalid arguments.
 */
public final class Demo {

    static final String DOMAIN = "example.test";
    static final List<String> USERS = List.of("alice@" + DOMAIN, "bob@" + DOMAIN);

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(180);
    private static final String USAGE = String.join(System.lineSeparator(),
            "Usage: Demo [--keep-running] [--timeout SECONDS] [--work-dir DIR]",
            "  --keep-running     stay up after printing the certificates, until Ctrl-C",
            "  --timeout SECONDS  maximum wait for each certificate (default 180)",
            "  --work-dir DIR     folder for the James and CA files; emptied at start",
            "                     (default integration-tests/target/demo under the repository root)");

    private Demo() {
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        boolean keepRunning = false;
        Duration timeout = DEFAULT_TIMEOUT;
        ProjectLayout layout = ProjectLayout.fromSystemProperty();
        Path workDirectory = layout.root().resolve("integration-tests").resolve("target").resolve("demo");
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--keep-running" -> keepRunning = true;
                    case "--timeout" -> timeout = Duration.ofSeconds(Long.parseLong(argumentValue(args, ++i)));
                    case "--work-dir" -> workDirectory = Path.of(argumentValue(args, ++i)).toAbsolutePath();
                    case "--help", "-h" -> {
                        out.println(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("Unknown argument: " + args[i]);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("demo: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }

        try {
            run(layout, workDirectory, timeout, keepRunning, out);
        } catch (Exception e) {
            System.err.println("demo: FAILED: " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }

    private static String argumentValue(String[] args, int index) {
        if (index >= args.length) {
            throw new IllegalArgumentException(args[index - 1] + " requires a value");
        }
        return args[index];
    }

    private static void run(ProjectLayout layout, Path workDirectory, Duration timeout, boolean keepRunning,
                            PrintStream out) throws Exception {
        layout.requireBuilt();
        deleteRecursively(workDirectory);
        out.println("Starting the test CA and Apache James 3.8.1 in " + workDirectory + " ...");
        try (AcmeLab lab = AcmeLab.builder(workDirectory).layout(layout).start()) {
            out.println("James log: " + lab.james().workingDirectory().logFile());
            out.println("ACME directory: " + lab.ca().directoryUrl());
            WebAdminClient webAdmin = lab.webAdmin();
            webAdmin.createDomain(DOMAIN);
            for (String user : USERS) {
                webAdmin.createUser(user, "demo-password");
            }
            out.println("Created domain " + DOMAIN + " and users " + String.join(", ", USERS)
                    + "; waiting for automatic provisioning ...");
            out.println("Challenge mails are DKIM-signed by the CA and must pass ca.authenticity=dkim,smime.");

            char[] passphrase = lab.james().workingDirectory().pkcs12Passphrase().toCharArray();
            for (String user : USERS) {
                CertificateStatus status = lab.awaitValidCertificate(user, timeout);
                printCertificate(out, lab, user, status, passphrase);
            }
            out.println("All " + USERS.size() + " users have a certificate issued by the test CA.");
            var metrics = webAdmin.challengeMetrics();
            out.println("Challenge mails answered: " + metrics.path("answered").asLong()
                    + ", not answered: " + metrics.path("rejected").asLong()
                    + " (GET /acme-smime/challenges/metrics)");

            if (keepRunning) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    lab.close();
                    out.println("Stopped James and the test CA.");
                }, "stop-demo"));
                printEndpoints(out, lab);
                awaitInterrupt();
            }
        }
        out.println("Stopped James and the test CA.");
    }

    private static void printCertificate(PrintStream out, AcmeLab lab, String user, CertificateStatus status,
                                         char[] passphrase) throws IOException, GeneralSecurityException {
        Path keyStore = status.keyStore() != null ? status.keyStore() : lab.keyStoreOf(user);
        IssuedCertificate issued = IssuedCertificate.load(keyStore, passphrase, user);
        X509Certificate certificate = issued.endEntity();
        issued.verifyChain(lab.ca().rootCertificate());

        out.println();
        out.println("Certificate of " + user);
        out.println("  Subject:     " + certificate.getSubjectX500Principal().getName());
        out.println("  SAN (email): " + String.join(", ", issued.rfc822Names()));
        out.println("  Issuer:      " + certificate.getIssuerX500Principal().getName());
        out.println("  Serial:      " + certificate.getSerialNumber().toString(16));
        out.println("  Not before:  " + certificate.getNotBefore().toInstant());
        out.println("  Not after:   " + certificate.getNotAfter().toInstant());
        out.println("  Key:         " + certificate.getPublicKey().getAlgorithm() + ", in " + keyStore
                + " (PKCS#12, alias " + user + ")");
        out.println("  Chain (PEM): " + lab.chainPemOf(user));
        out.println("  Chain verified to the test CA root: yes");
    }

    private static void printEndpoints(PrintStream out, AcmeLab lab) {
        JamesServer james = lab.james();
        out.println();
        out.println("Running until Ctrl-C:");
        out.println("  SMTP:          127.0.0.1:" + james.smtpPort());
        out.println("  SMTP submit:   127.0.0.1:" + james.workingDirectory().submissionPort());
        out.println("  IMAP:          127.0.0.1:" + james.imapPort() + " (users " + String.join(", ", USERS)
                + ", password demo-password)");
        out.println("  WebAdmin:      http://127.0.0.1:" + james.webAdminPort()
                + " (for example GET /acme-smime/certificates/" + USERS.get(0) + ")");
        out.println("  ACME directory: " + lab.ca().directoryUrl());
        out.println("  James log:     " + james.workingDirectory().logFile());
        out.flush();
    }

    /** Blocks until the JVM shuts down (Ctrl-C); the shutdown hooks stop James. */
    private static void awaitInterrupt() throws InterruptedException {
        new CountDownLatch(1).await();
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }
}
