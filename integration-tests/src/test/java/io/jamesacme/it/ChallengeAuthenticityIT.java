package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.jamesacme.testca.ChallengeSigning;

/**
 * The CA profile end to end: a real James with the packaged extension and the sample
 * configuration, and the test CA in each of its challenge modes. Strict mode (the default,
 * {@code dkim,smime}) answers DKIM- and S/MIME-signed challenges and rejects unsigned ones.
 * The other methods apply only where they are configured. Each test starts its own lab.
 */
class ChallengeAuthenticityIT {

    private static final String DOMAIN = "example.test";
    private static final String ALICE = "alice@" + DOMAIN;
    private static final String PASSWORD = "alice-password";
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);

    @Test
    void dkimChallengeGetsSignedResponse() throws Exception {
        try (AcmeLab lab = start("authenticity-dkim", AcmeLab.builder(LabDirectories.fresh("authenticity-dkim")))) {
            lab.awaitValidCertificate(ALICE, CERTIFICATE_TIMEOUT);

            List<byte[]> responses = lab.ca().responseMessages(ALICE);
            assertThat(responses).hasSize(1);
            String record = lab.james().workingDirectory().responseDkimRecord();
            DKIMVerifier verifier = new DKIMVerifier((method, selector, domain) -> {
                String name = (selector + "._domainkey." + domain).toLowerCase(Locale.ROOT);
                if (!name.equals(JamesWorkingDirectory.RESPONSE_DKIM_SELECTOR + "._domainkey."
                        + JamesWorkingDirectory.RESPONSE_DKIM_DOMAIN)) {
                    throw new PermFailException("no key at " + name);
                }
                return List.of(record);
            });
            List<SignatureRecord> valid = verifier.verify(new ByteArrayInputStream(responses.get(0)));
            assertThat(valid).isNotNull().hasSize(1);
            SignatureRecord signature = valid.get(0);
            assertThat(signature.getDToken().toString()).isEqualTo(DOMAIN);
            assertThat(signature.getHeaders().stream().map(name -> name.toString().toLowerCase(Locale.ROOT))
                    .collect(Collectors.toList())).contains("from", "to", "subject", "in-reply-to");
            assertThat(metric(lab, "answered")).isEqualTo(1);
        }
    }

    @Test
    void smimeChallengeAnsweredInStrictMode() throws Exception {
        try (AcmeLab lab = start("authenticity-smime", AcmeLab.builder(LabDirectories.fresh("authenticity-smime"))
                .challengeSigning(ChallengeSigning.SMIME))) {
            lab.awaitValidCertificate(ALICE, CERTIFICATE_TIMEOUT);

            assertThat(lab.ca().responsesReceived(ALICE)).isEqualTo(1);
            assertThat(Files.readString(lab.james().workingDirectory().logFile()))
                    .contains("S/MIME signature of");
        }
    }

    @Test
    void unsignedChallengeRejectedInStrictMode() throws Exception {
        try (AcmeLab lab = start("authenticity-unsigned", AcmeLab.builder(LabDirectories.fresh("authenticity-unsigned"))
                .challengeSigning(ChallengeSigning.UNSIGNED))) {
            MailClient.InboxMail challenge = Polling.await("the unanswered challenge in Alice's INBOX",
                    Duration.ofSeconds(60), Duration.ofMillis(500),
                    () -> MailClient.inboxNow(lab.james().imapPort(), ALICE, PASSWORD).stream()
                            .filter(mail -> mail.subject() != null && mail.subject().startsWith("ACME: "))
                            .findFirst(),
                    () -> lab.james().describeLog());

            assertThat(challenge.unansweredReasons()).containsExactly("dkim-none");
            assertThat(lab.ca().responsesReceived(ALICE)).isZero();
            assertThat(lab.webAdmin().certificateStatus(ALICE).orElseThrow().isValid()).isFalse();
            assertThat(metric(lab, "rejected")).isEqualTo(1);
        }
    }

    @Test
    void unansweredChallengeGoesToRepository() throws Exception {
        // The sample's unansweredRepository is memory://var/mail/acme-smime-unanswered/.
        String repository = "var/mail/acme-smime-unanswered/";
        try (AcmeLab lab = start("authenticity-repository", AcmeLab.builder(LabDirectories.fresh("authenticity-repository"))
                .challengeSigning(ChallengeSigning.UNSIGNED)
                .challengeMailetParameter("unansweredMail", "repository"))) {
            List<String> keys = Polling.await("the unanswered challenge in " + repository, Duration.ofSeconds(60),
                    Duration.ofMillis(500),
                    () -> Optional.of(lab.webAdmin().mailRepositoryKeys(repository)).filter(found -> !found.isEmpty()),
                    () -> lab.james().describeLog());

            assertThat(keys).hasSize(1);
            JsonNode stored = lab.webAdmin().mailRepositoryMail(repository, keys.get(0));
            assertThat(stored.toString()).contains("dkim-none").contains(ALICE);
            assertThat(MailClient.inboxNow(lab.james().imapPort(), ALICE, PASSWORD)).isEmpty();
            assertThat(lab.ca().responsesReceived(ALICE)).isZero();
        }
    }

    @Test
    void smtpAuthChallengeAnsweredAsTrustedSender() throws Exception {
        try (AcmeLab lab = start("authenticity-smtp-auth", AcmeLab.builder(LabDirectories.fresh("authenticity-smtp-auth"))
                .challengeSigning(ChallengeSigning.UNSIGNED)
                .submitWithSmtpAuth()
                .authenticity("trusted-local-sender"))) {
            lab.awaitValidCertificate(ALICE, CERTIFICATE_TIMEOUT);

            assertThat(lab.ca().responsesReceived(ALICE)).isEqualTo(1);
            assertThat(Files.readString(lab.james().workingDirectory().logFile()))
                    .contains("submitted with SMTP AUTH by " + AcmeLab.CA_ADDRESS);
        }
    }

    @Test
    void bareChallengeAnsweredWhenInsecure() throws Exception {
        try (AcmeLab lab = start("authenticity-insecure", AcmeLab.builder(LabDirectories.fresh("authenticity-insecure"))
                .challengeSigning(ChallengeSigning.BARE)
                .authenticity("insecure-unsigned"))) {
            lab.awaitValidCertificate(ALICE, CERTIFICATE_TIMEOUT);

            assertThat(lab.ca().responsesReceived(ALICE)).isEqualTo(1);
            assertThat(Files.readString(lab.james().workingDirectory().logFile()))
                    .contains("accepted WITHOUT an authenticity check");
        }
    }

    private static AcmeLab start(String name, AcmeLab.Builder builder) throws Exception {
        AcmeLab lab = builder.start();
        try {
            lab.webAdmin().createDomain(DOMAIN);
            lab.webAdmin().createUser(ALICE, PASSWORD);
            return lab;
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    private static long metric(AcmeLab lab, String name) {
        JsonNode metrics = lab.webAdmin().challengeMetrics();
        return Optional.ofNullable(metrics.get(name)).map(JsonNode::asLong).orElse(-1L);
    }
}
