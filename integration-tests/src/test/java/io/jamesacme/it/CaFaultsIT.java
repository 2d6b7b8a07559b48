package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.jamesacme.testca.Fault;
import io.jamesacme.testca.FaultKind;

/**
 * The CA fails in each way the test CA can inject, while James orders a certificate. The
 * extension retries the order with backoff (1 s doubling to 4 s here, plus jitter), honours the
 * CA's Retry-After on a rate limit, and the order completes once the CA recovers. acme4j itself
 * repeats a request that got badNonce. The test prints a table of fault, retries (order
 * attempts after the first), time to recovery and outcome.
 */
class CaFaultsIT {

    private static final String DOMAIN = "example.test";
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(90);
    private static final List<String> TABLE = new ArrayList<>();

    private static AcmeLab lab;

    @BeforeAll
    static void startLab() throws Exception {
        lab = AcmeLab.builder(LabDirectories.fresh("ca-faults"))
                .acmeSetting("provisioning.enabled", "false")
                .acmeSetting("acme.timeout", "3s")
                .acmeSetting("retry.max-attempts", "6")
                .acmeSetting("retry.initial-backoff", "1s")
                .acmeSetting("retry.max-backoff", "4s")
                .start();
        lab.webAdmin().createDomain(DOMAIN);
        // The account exists before the first fault, so each case exercises one order.
        String warmUp = "warm-up@" + DOMAIN;
        lab.webAdmin().createUser(warmUp, "password");
        lab.webAdmin().requestCertificate(warmUp);
        lab.awaitValidCertificate(warmUp, CERTIFICATE_TIMEOUT);
    }

    @AfterAll
    static void stopLab() {
        System.out.println();
        System.out.println(String.format("%-20s | %-7s | %-16s | %s", "fault", "retries", "time to recovery", "outcome"));
        TABLE.forEach(System.out::println);
        if (lab != null) {
            lab.close();
        }
    }

    record FaultCase(String name, Fault fault, Duration minimumRecovery) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<FaultCase> faults() {
        return Stream.of(
                new FaultCase("500", Fault.of(FaultKind.SERVER_ERROR_500, 2).onlyOn("newOrder"), Duration.ZERO),
                new FaultCase("503 + Retry-After", Fault.of(FaultKind.UNAVAILABLE_503, 2)
                        .withRetryAfter(Duration.ofSeconds(1)).onlyOn("newOrder"), Duration.ZERO),
                // acme4j reports Retry-After only with rateLimited, so this case shows it is honoured.
                new FaultCase("429 rateLimited", Fault.of(FaultKind.RATE_LIMITED_429, 1)
                        .withRetryAfter(Duration.ofSeconds(6)).onlyOn("newOrder"), Duration.ofSeconds(5)),
                new FaultCase("badNonce", Fault.of(FaultKind.BAD_NONCE, 3).onlyOn("newOrder"), Duration.ZERO),
                new FaultCase("slow answer", Fault.of(FaultKind.SLOW_RESPONSE, 1)
                        .withDelay(Duration.ofSeconds(6)).onlyOn("newOrder"), Duration.ZERO),
                new FaultCase("connection refused", Fault.refuseConnectionsFor(Duration.ofSeconds(4)),
                        Duration.ofSeconds(3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void orderCompletesAfterTheCaRecovers(FaultCase faultCase) throws Exception {
        String user = faultCase.name().replaceAll("[^a-z0-9]+", "-").replaceAll("-$", "") + "@" + DOMAIN;
        lab.webAdmin().createUser(user, "password");
        int hitsBefore = lab.ca().faultHits().getOrDefault(faultCase.fault().kind(), 0);
        Instant start = Instant.now();

        lab.ca().inject(faultCase.fault());
        lab.webAdmin().requestCertificate(user);
        CertificateStatus status = lab.awaitValidCertificate(user, CERTIFICATE_TIMEOUT);
        Duration recovery = Duration.between(start, Instant.now());

        int retries = retriesOf(user);
        int hits = lab.ca().faultHits().getOrDefault(faultCase.fault().kind(), 0) - hitsBefore;
        lab.ca().clearFaults();
        TABLE.add(String.format("%-20s | %-7d | %-16s | %s", faultCase.name(), retries,
                recovery.toMillis() / 100 / 10.0 + " s", status.state() + " (" + hits + " faulted requests)"));

        assertThat(status.isValid()).isTrue();
        if (faultCase.fault().kind() == FaultKind.BAD_NONCE) {
            // acme4j repeats a request that got badNonce, with the fresh nonce, before the order fails.
            assertThat(hits).as("badNonce answers").isEqualTo(faultCase.fault().count());
        } else {
            assertThat(retries).as("attempts after the first").isGreaterThanOrEqualTo(1);
        }
        assertThat(recovery).isGreaterThanOrEqualTo(faultCase.minimumRecovery());
        assertThat(lab.ca().responsesReceived(user)).isEqualTo(1);
    }

    /** Counts the "Attempt N of the order for user" lines the extension logged. */
    private static int retriesOf(String user) throws Exception {
        Matcher matcher = Pattern.compile("Attempt \\d+ of the order for " + Pattern.quote(user) + "\\b")
                .matcher(Files.readString(lab.james().workingDirectory().logFile()));
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }
}
