package io.jamesacme.smime.james;

import static io.jamesacme.smime.james.ChallengeMails.CA;
import static io.jamesacme.smime.james.ChallengeMails.TOKEN_PART1;
import static io.jamesacme.smime.james.ChallengeMails.USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.rfc8823.KeyAuthorization;
import io.jamesacme.smime.store.CertificateState;
import io.jamesacme.smime.store.PendingChallenges.ChallengeDetails;
import io.jamesacme.smime.store.PendingChallenges.PendingOrder;

class AnswerAcmeChallengeTest {
    private static final String TOKEN_PART2 = "DGyRejmCefe7v4NfDGDKfA";
    private static final String ORDER_URL = "https://127.0.0.1:9/order/1";

    @TempDir
    Path storage;

    private TestServices services;
    private FakeMailContext context;
    private AnswerAcmeChallenge mailet;

    @BeforeEach
    void setUp() throws Exception {
        services = new TestServices(storage);
        context = FakeMailContext.defaultContext();
        mailet = initMailet("consume");
    }

    @Test
    void initRejectsMissingAuthenticity() {
        AnswerAcmeChallenge unconfigured = new AnswerAcmeChallenge(services.responder);

        assertThatThrownBy(() -> unconfigured.init(FakeMailetConfig.builder()
                .mailetName("AnswerAcmeChallenge").mailetContext(context).build()))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("authenticity")
            .hasMessageContaining("unverified-lab-only");
    }

    @Test
    void initRejectsUnknownChallengeMailValue() {
        assertThatThrownBy(() -> initMailet("keep"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("'keep'")
            .hasMessageContaining("consume or deliver");
    }

    @Test
    void challengeIsAnsweredAndConsumed() throws Exception {
        PendingOrder order = openOrderWithDetails();
        Mail mail = ChallengeMails.mail("challenge", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(order.isAnswered()).isTrue();
        assertThat(context.getSentMails()).hasSize(1);
        FakeMailContext.SentMail sent = context.getSentMails().get(0);
        assertThat(sent.getSender()).isEqualTo(new MailAddress(USER));
        assertThat(sent.getRecipients()).containsExactly(new MailAddress(CA));
        assertResponse(sent.getMsg());
        assertThat(services.statuses.get(USER).state()).isEqualTo(CertificateState.ANSWERED);
    }

    @Test
    void deliverModeAnswersAndKeepsTheMail() throws Exception {
        mailet = initMailet("deliver");
        openOrderWithDetails();
        Mail mail = ChallengeMails.mail("challenge", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).hasSize(1);
        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(mail.getRecipients()).containsExactly(new MailAddress(USER));
    }

    @Test
    void secondCopyIsDeliveredUnanswered() throws Exception {
        openOrderWithDetails();
        mailet.service(ChallengeMails.mail("first", ChallengeMails.challenge(CA, TOKEN_PART1), USER));
        Mail copy = ChallengeMails.mail("copy", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(copy);

        assertThat(context.getSentMails()).hasSize(1);
        assertThat(copy.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(copy.getRecipients()).containsExactly(new MailAddress(USER));
    }

    @Test
    void wrongSenderIsDeliveredUnanswered() throws Exception {
        PendingOrder order = openOrderWithDetails();
        Mail mail = ChallengeMails.mail("forged",
            ChallengeMails.challenge("mallory@evil.test", TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertThat(order.isAnswered()).isFalse();
        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
    }

    @Test
    void invalidTokenIsDeliveredUnanswered() throws Exception {
        openOrderWithDetails();
        Mail mail = ChallengeMails.mail("short-token", ChallengeMails.challenge(CA, "tooShort"), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
    }

    @Test
    void challengeBeforeTokenPart2IsAnsweredLater() throws Exception {
        PendingOrder order = services.pendingChallenges.open(USER).orElseThrow();
        Mail mail = ChallengeMails.mail("early", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.getSentMails()).isEmpty();

        order.challengeReady(details());

        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (context.getSentMails().isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        assertThat(context.getSentMails()).hasSize(1);
        assertResponse(context.getSentMails().get(0).getMsg());
    }

    @Test
    void parkedChallengeWithWrongSenderIsRedelivered() throws Exception {
        PendingOrder order = services.pendingChallenges.open(USER).orElseThrow();
        Mail mail = ChallengeMails.mail("early-forged",
            ChallengeMails.challenge("mallory@evil.test", TOKEN_PART1), USER);

        mailet.service(mail);
        order.challengeReady(details());

        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (context.getSentMails().isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        assertThat(order.isAnswered()).isFalse();
        assertThat(context.getSentMails()).hasSize(1);
        FakeMailContext.SentMail redelivered = context.getSentMails().get(0);
        assertThat(redelivered.getRecipients()).containsExactly(new MailAddress(USER));
        assertThat(redelivered.getSubject()).contains("ACME: " + TOKEN_PART1);
        assertThat(redelivered.getAttributes()).containsKey(ChallengeResponder.UNANSWERED);
    }

    @Test
    void mailThatBreaksGoesToErrorProcessor() throws Exception {
        openOrderWithDetails();
        MimeMessage message = ChallengeMails.challenge(CA, TOKEN_PART1);
        Mail mail = ChallengeMails.mail("broken", message, USER);
        // A sender that cannot be turned into a response recipient makes sending fail.
        message.setReplyTo(new InternetAddress[] {new InternetAddress("no-domain", false)});

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.ERROR);
        assertThat(mail.getErrorMessage()).isNotBlank();
    }

    private AnswerAcmeChallenge initMailet(String challengeMail) throws MessagingException {
        AnswerAcmeChallenge answering = new AnswerAcmeChallenge(services.responder);
        answering.init(FakeMailetConfig.builder()
            .mailetName("AnswerAcmeChallenge")
            .mailetContext(context)
            .setProperty("authenticity", "unverified-lab-only")
            .setProperty("challengeMail", challengeMail)
            .build());
        return answering;
    }

    private PendingOrder openOrderWithDetails() throws Exception {
        PendingOrder order = services.pendingChallenges.open(USER).orElseThrow();
        order.challengeReady(details());
        return order;
    }

    private static ChallengeDetails details() throws Exception {
        return new ChallengeDetails(ORDER_URL, "https://127.0.0.1:9/challenge/1", TOKEN_PART2,
            new InternetAddress(CA));
    }

    private void assertResponse(MimeMessage response) throws Exception {
        String expected = KeyAuthorization.of(TOKEN_PART1, TOKEN_PART2,
            services.orders.accountPublicKey()).response();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        response.writeTo(raw);
        String text = raw.toString(StandardCharsets.US_ASCII);

        assertThat(response.getSubject()).isEqualTo("Re: ACME: " + TOKEN_PART1);
        assertThat(response.getHeader("In-Reply-To", null)).isEqualTo("<challenge-1@ca.test>");
        assertThat(response.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(text).contains("\r\n-----BEGIN ACME RESPONSE-----\r\n" + expected
            + "\r\n-----END ACME RESPONSE-----\r\n");
    }
}
