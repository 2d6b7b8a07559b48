package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.jamesacme.testca.RequestLogEntry;

/**
 * Self-test of {@link AcmeLab#restartJames()}: James is killed with SIGKILL after one certificate
 * and started again on the same working directory. The extension's file store survives, so the
 * next order reuses the ACME account, while the memory app loses the domains, users and mails
 * that the lab does not create again.
 */
class HarnessRestartIT {

    private static final String DOMAIN = "example.test";
    private static final String ALICE = "alice@" + DOMAIN;
    private static final String BOB = "bob@" + DOMAIN;
    private static final String ALICE_PASSWORD = "alice-password";
    private static final String UNREMEMBERED_DOMAIN = "unremembered.test";
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);
    private static final int SIGKILL_EXIT_CODE = 128 + 9;

    @Test
    void killedJamesRestartsOnSameStore() throws Exception {
        try (AcmeLab lab = AcmeLab.builder(LabDirectories.fresh("harness-restart")).start()) {
            lab.createDomain(DOMAIN);
            lab.createUser(ALICE, ALICE_PASSWORD);
            lab.awaitValidCertificate(ALICE, CERTIFICATE_TIMEOUT);
            lab.webAdmin().createDomain(UNREMEMBERED_DOMAIN);
            MailClient.send(lab.james().smtpPort(), "sender@" + DOMAIN, ALICE, "Before the restart", "text");
            Polling.await("the ordinary mail in Alice's INBOX", Duration.ofSeconds(30), Duration.ofMillis(250),
                    () -> MailClient.inboxNow(lab.james().imapPort(), ALICE, ALICE_PASSWORD).stream()
                            .filter(mail -> mail.subject().equals("Before the restart"))
                            .findAny(),
                    () -> lab.james().describeLog());

            JamesServer first = lab.james();
            first.kill();
            assertThat(first.isAlive()).isFalse();
            assertThat(first.awaitExit(Duration.ofSeconds(5))).isEqualTo(SIGKILL_EXIT_CODE);
            JamesServer second = lab.restartJames();

            assertThat(second.pid()).isNotEqualTo(first.pid());
            assertThat(second.webAdminPort()).isEqualTo(first.webAdminPort());
            assertThat(second.webAdmin().get("/domains").body())
                    .contains(DOMAIN, AcmeLab.CA_DOMAIN)
                    .doesNotContain(UNREMEMBERED_DOMAIN);
            assertThat(MailClient.inboxSubjects(second.imapPort(), ALICE, ALICE_PASSWORD)).isEmpty();
            assertThat(second.webAdmin().certificateStatus(ALICE).orElseThrow().isValid()).isTrue();

            lab.createUser(BOB, "bob-password");
            lab.awaitValidCertificate(BOB, CERTIFICATE_TIMEOUT);

            char[] passphrase = second.workingDirectory().pkcs12Passphrase().toCharArray();
            for (String address : new String[] {ALICE, BOB}) {
                IssuedCertificate certificate = IssuedCertificate.load(lab.keyStoreOf(address), passphrase, address);
                assertThat(certificate.rfc822Names()).containsExactly(address);
                certificate.verifyChain(lab.ca().rootCertificate());
            }
            long accountsCreated = lab.ca().requestLog().stream()
                    .filter(entry -> entry.endpoint().equals("newAccount"))
                    .filter(entry -> entry.status() == 201)
                    .count();
            assertThat(accountsCreated).isEqualTo(1);
            assertThat(lab.ca().requestLog().stream().map(RequestLogEntry::endpoint).filter("finalize"::equals).count())
                    .isEqualTo(2);
            assertThat(second.log().lines().filter(line -> line.startsWith(JamesServer.START_MARKER)).count())
                    .isEqualTo(2);
            assertThat(second.logOfThisRun()).doesNotContain(JamesServer.START_MARKER);
        }
    }
}
