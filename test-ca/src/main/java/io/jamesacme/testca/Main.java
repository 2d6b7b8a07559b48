package io.jamesacme.testca;

import java.io.IOException;
import java.security.GeneralSecurityException;

/** Command-line entry point of the shaded jar; run it with {@code --help} for the options. */
public final class Main {

    private Main() {
    }

    /**
     * Starts the test CA and serves until the process is stopped. Exits with 2 on an invalid
     * command line and with 1 if the CA cannot start.
     */
    public static void main(String[] args) throws InterruptedException {
        if (CommandLineOptions.wantsHelp(args)) {
            System.out.print(CommandLineOptions.usage());
            return;
        }
        TestCaConfig config;
        try {
            config = CommandLineOptions.parse(args, System.getenv());
        } catch (CommandLineOptions.UsageException | IllegalArgumentException e) {
            System.err.println("Error: " + e.getMessage());
            System.err.println("Run with --help to list the options.");
            System.exit(2);
            return;
        }
        TestCa ca;
        try {
            ca = TestCa.start(config);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            System.err.println("Starting the test CA failed: " + e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(ca::close, "test-ca-shutdown"));
        System.out.println("ACME directory:   " + ca.directoryUrl());
        System.out.println("Trust store:      " + ca.trustStore().toAbsolutePath() + " (type "
                + ca.trustStoreType() + ", password " + ca.trustStorePassword() + ")");
        System.out.println("Root certificate: " + ca.rootCertificatePem().toAbsolutePath());
        System.out.println("DKIM key records: " + ca.dkimKeyRecordsFile().toAbsolutePath()
                + " (" + ca.dkimRecordName() + ")");
        for (Fault fault : config.faults()) {
            System.out.println("Injected fault:   " + fault);
        }
        System.out.println("Press Ctrl+C to stop.");
        System.out.flush();
        Thread.currentThread().join();
    }
}
