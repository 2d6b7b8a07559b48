package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.jamesacme.testca.ChallengeSigning;
import io.jamesacme.testca.PendingChallenge;

/**
 * Copies of one genuine, DKIM-signed challenge mail arrive at the same moment over separate
 * SMTP connections, so James' spooler threads process them in parallel. The CA must receive
 * exactly one response, and every other copy reaches the INBOX marked {@code already-answered}.
 */
class ConcurrentDuplicatesIT {

    private static final String DOMAIN = "example.test";
    private static final String ALICE = "alice@" + DOMAIN;
    private static final String PASSWORD = "alice-password";
    private static final int COPIES = 6;

    @Test
    void concurrentCopiesOfOneChallengeGetOneResponse() throws Exception {
        try (AcmeLab lab = AcmeLab.builder(LabDirectories.fresh("concurrent-duplicates"))
                .challengeMailHeld(true)
                .start()) {
            lab.webAdmin().createDomain(DOMAIN);
            lab.webAdmin().createUser(ALICE, PASSWORD);
            PendingChallenge challenge = Polling.await("a pending challenge for " + ALICE,
                    Duration.ofSeconds(60), Duration.ofMillis(250),
                    () -> lab.ca().pendingChallenge(ALICE), () -> lab.james().describeLog());
            byte[] mail = lab.ca().challengeMail(ALICE, ChallengeSigning.DKIM);

            MailClient.sendConcurrently(lab.james().smtpPort(), challenge.from(), List.of(ALICE), mail, COPIES);

            lab.awaitValidCertificate(ALICE, Duration.ofSeconds(120));
            List<MailClient.InboxMail> unanswered = Polling.await(
                    (COPIES - 1) + " unanswered copies in Alice's INBOX", Duration.ofSeconds(30), Duration.ofMillis(500),
                    () -> {
                        List<MailClient.InboxMail> copies = MailClient.inboxNow(lab.james().imapPort(), ALICE, PASSWORD)
                                .stream().filter(one -> !one.unansweredReasons().isEmpty()).toList();
                        return copies.size() >= COPIES - 1 ? java.util.Optional.of(copies) : java.util.Optional.empty();
                    },
                    () -> lab.james().describeLog());

            assertThat(lab.ca().responsesReceived(ALICE)).isEqualTo(1);
            assertThat(unanswered).hasSize(COPIES - 1)
                    .allSatisfy(copy -> assertThat(copy.unansweredReasons()).containsExactly("already-answered"));
            JsonNode metrics = lab.webAdmin().challengeMetrics();
            assertThat(metrics.get("answered").asLong()).isEqualTo(1);
            assertThat(metrics.get("rejectedByReason").get("already-answered").asLong()).isEqualTo(COPIES - 1);
        }
    }
}
