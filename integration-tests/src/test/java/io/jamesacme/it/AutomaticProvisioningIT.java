package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real James 3.8.1 with the packaged extension, and the test CA in its default timing: the
 * challenge mail arrives after the client has fetched the authorization. One James and one CA
 * serve every test. The user is created after James started, so only automatic provisioning
 * (every 3 s here) can have requested its certificate.
 */
class AutomaticProvisioningIT {

    private static final String DOMAIN = "example.test";
    private static final String ALICE = "alice@" + DOMAIN;
    private static final String ALICE_PASSWORD = "alice-password";
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);

    private static AcmeLab lab;
    private static CertificateStatus aliceStatus;

    @BeforeAll
    static void startLab() throws Exception {
        lab = AcmeLab.builder(LabDirectories.fresh("automatic-provisioning")).start();
        lab.webAdmin().createDomain(DOMAIN);
        lab.webAdmin().createUser(ALICE, ALICE_PASSWORD);
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    /** Waits once for Alice's certificate; every test needs it. */
    private static synchronized CertificateStatus aliceStatus() {
        if (aliceStatus == null) {
            aliceStatus = lab.awaitValidCertificate(ALICE, CERTIFICATE_TIMEOUT);
        }
        return aliceStatus;
    }

    private static IssuedCertificate aliceCertificate() throws Exception {
        char[] passphrase = lab.james().workingDirectory().pkcs12Passphrase().toCharArray();
        return IssuedCertificate.load(lab.keyStoreOf(ALICE), passphrase, ALICE);
    }

    @Test
    void newUserGetsCertificateInStore() throws Exception {
        aliceStatus();

        assertThat(lab.keyStoreOf(ALICE)).isRegularFile();
        assertThat(lab.chainPemOf(ALICE)).isRegularFile();
        IssuedCertificate certificate = aliceCertificate();
        assertThat(certificate.rfc822Names()).containsExactly(ALICE);
        assertThat(certificate.privateKey().getAlgorithm()).isEqualTo(certificate.endEntity().getPublicKey().getAlgorithm());
        certificate.verifyChain(lab.ca().rootCertificate());
        assertThat(Files.readString(lab.chainPemOf(ALICE))).contains("-----BEGIN CERTIFICATE-----");
    }

    @Test
    void challengeMailConsumedAndAnsweredOnce() throws Exception {
        aliceStatus();

        assertThat(lab.ca().responsesReceived(ALICE)).isEqualTo(1);
        assertThat(lab.ca().challengesSent(ALICE)).isEqualTo(1);

        // An ordinary mail must still reach the INBOX; it also proves that the IMAP check below can see mail.
        MailClient.send(lab.james().smtpPort(), "carol@elsewhere.test", ALICE, "Lunch on Friday?", "Hi Alice");
        List<String> subjects = Polling.await("the ordinary mail in Alice's INBOX", DELIVERY_TIMEOUT,
                Duration.ofMillis(250),
                () -> {
                    List<String> inbox = inboxOfAlice();
                    return inbox.contains("Lunch on Friday?") ? java.util.Optional.of(inbox) : java.util.Optional.empty();
                },
                () -> "INBOX subjects " + inboxOfAlice());
        assertThat(subjects).noneMatch(subject -> subject != null && subject.startsWith("ACME:"));
    }

    @Test
    void statusShowsValidWithCertificateNotAfter() throws Exception {
        CertificateStatus status = aliceStatus();

        assertThat(status.address()).isEqualTo(ALICE);
        assertThat(status.state()).isEqualTo(CertificateStatus.VALID);
        assertThat(status.notAfter()).isEqualTo(aliceCertificate().endEntity().getNotAfter().toInstant());
        assertThat(status.lastError()).isNull();
        assertThat(status.keyStore()).isEqualTo(lab.keyStoreOf(ALICE));
        assertThat(status.orderUrl()).startsWith("https://");
    }

    @Test
    void statusOfUnknownUserIs404() {
        HttpResponse<String> response = lab.webAdmin().get("/acme-smime/certificates/nobody@" + DOMAIN);

        assertThat(response.statusCode()).isEqualTo(404);
    }

    @Test
    void noMailInErrorRepository() {
        aliceStatus();
        // WebAdmin names repositories by their URL-encoded path, without the memory:// protocol.
        String repository = URLEncoder.encode("var/mail/error", StandardCharsets.UTF_8);

        HttpResponse<String> response = lab.webAdmin().get("/mailRepositories/" + repository + "/mails");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("[]");
    }

    @Test
    void challengeHandlingLogNamesUser() {
        aliceStatus();

        assertThat(lab.james().log().lines())
                .anyMatch(line -> line.contains("AnswerAcmeChallenge") && line.contains("Challenge mail Mail")
                        && line.contains(ALICE));
    }

    @Test
    void testJvmLoadsNeitherJamesNorExtension() {
        ClassLoader loader = getClass().getClassLoader();

        assertThatThrownBy(() -> Class.forName("org.apache.james.GuiceJamesServer", false, loader))
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("io.jamesacme.smime.james.AcmeSmimeModule", false, loader))
                .isInstanceOf(ClassNotFoundException.class);
    }

    private static List<String> inboxOfAlice() {
        try {
            return MailClient.inboxSubjects(lab.james().imapPort(), ALICE, ALICE_PASSWORD);
        } catch (javax.mail.MessagingException e) {
            throw new IllegalStateException("IMAP read of " + ALICE + "'s INBOX failed", e);
        }
    }
}
