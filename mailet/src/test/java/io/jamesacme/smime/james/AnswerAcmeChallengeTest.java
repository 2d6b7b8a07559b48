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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.authenticity.AuthenticityPolicy;
import io.jamesacme.smime.authenticity.DkimCheck;
import io.jamesacme.smime.rfc8823.KeyAuthorization;
import io.jamesacme.smime.state.FileStateStore;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;
import io.jamesacme.smime.store.CertificateState;

class AnswerAcmeChallengeTest {
    private static final String TOKEN_PART2 = "DGyRejmCefe7v4NfDGDKfA";
    private static final String RESPONSE_PROCESSOR = "acme-response";

    @TempDir
    Path storage;

    private TestServices services;
    private FakeMailContext context;
    private ListMailRepository repository;
    private AnswerAcmeChallenge mailet;

    @BeforeEach
    void setUp() throws Exception {
        services = new TestServices(storage);
        context = FakeMailContext.defaultContext();
        repository = new ListMailRepository();
        mailet = initMailet(AuthenticityPolicy.insecureUnsigned(), "consume", "inbox");
    }

    @Test
    void initRejectsTheOldAuthenticityParameter() {
        AnswerAcmeChallenge old = newMailet(AuthenticityPolicy.insecureUnsigned());

        assertThatThrownBy(() -> old.init(FakeMailetConfig.builder()
                .mailetName("AnswerAcmeChallenge").mailetContext(context)
                .setProperty("authenticity", "unverified-lab-only").build()))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("ca.authenticity");
    }

    @Test
    void initRejectsUnknownValues() {
        assertThatThrownBy(() -> initMailet(AuthenticityPolicy.insecureUnsigned(), "keep", "inbox"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("'keep'")
            .hasMessageContaining("consume or deliver");
        assertThatThrownBy(() -> initMailet(AuthenticityPolicy.insecureUnsigned(), "consume", "trash"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("inbox or repository");
    }

    @Test
    void challengeIsAnsweredIntoTheResponseProcessorAndConsumed() throws Exception {
        OrderRecord order = openOrderWithDetails();
        Mail mail = ChallengeMails.mail("challenge", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(services.state(order)).isEqualTo(OrderState.ANSWERED);
        assertThat(context.getSentMails()).hasSize(1);
        FakeMailContext.SentMail sent = context.getSentMails().get(0);
        assertThat(sent.getSender()).isEqualTo(new MailAddress(USER));
        assertThat(sent.getRecipients()).containsExactly(new MailAddress(CA));
        assertThat(sent.getState()).isEqualTo(RESPONSE_PROCESSOR);
        assertResponse(sent.getMsg());
        assertThat(services.orders.status(USER).state()).isEqualTo(CertificateState.ANSWERED);
        assertThat(services.metrics.snapshot().answered()).isEqualTo(1);
        assertThat(services.metricFactory.countFor("acme_smime_challenge_answered")).isEqualTo(1);
    }

    @Test
    void deliverModeAnswersAndKeepsTheMail() throws Exception {
        mailet = initMailet(AuthenticityPolicy.insecureUnsigned(), "deliver", "inbox");
        openOrderWithDetails();
        Mail mail = ChallengeMails.mail("challenge", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).hasSize(1);
        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(mail.getRecipients()).containsExactly(new MailAddress(USER));
        assertThat(mail.getMessage().getHeader(UnansweredMails.REASON_HEADER)).isNull();
    }

    @Test
    void secondCopyGoesToTheInboxAsAlreadyAnswered() throws Exception {
        openOrderWithDetails();
        mailet.service(ChallengeMails.mail("first", ChallengeMails.challenge(CA, TOKEN_PART1), USER));
        Mail copy = ChallengeMails.mail("copy", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(copy);

        assertThat(context.getSentMails()).hasSize(1);
        assertUnanswered(copy, "already-answered");
        assertThat(services.metrics.snapshot().rejectedByReason()).containsEntry("already-answered", 1L);
    }

    @Test
    void replayAfterTheOrderClosedIsAlreadyAnswered() throws Exception {
        OrderRecord order = openOrderWithDetails();
        mailet.service(ChallengeMails.mail("first", ChallengeMails.challenge(CA, TOKEN_PART1), USER));
        services.finish(order, OrderState.STORED);
        Mail replay = ChallengeMails.mail("replay", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(replay);

        assertThat(context.getSentMails()).hasSize(1);
        assertUnanswered(replay, "already-answered");
    }

    @Test
    void copyOnSecondNodeIsAlreadyAnswered() throws Exception {
        openOrderWithDetails();
        mailet.service(ChallengeMails.mail("first", ChallengeMails.challenge(CA, TOKEN_PART1), USER));
        // A second node: its own store instance and responder on the same storage.
        try (StateStore secondStore = FileStateStore.open(storage.resolve("state"))) {
            ChallengeResponder second = new ChallengeResponder(secondStore, services.orders,
                services.metrics, services.configuration);
            AnswerAcmeChallenge secondMailet = new AnswerAcmeChallenge(second,
                AuthenticityPolicy.insecureUnsigned(), services.metrics, repository.store());
            secondMailet.init(FakeMailetConfig.builder().mailetName("AnswerAcmeChallenge")
                .mailetContext(context).setProperty("responseProcessor", RESPONSE_PROCESSOR).build());
            Mail copy = ChallengeMails.mail("copy", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

            secondMailet.service(copy);

            assertThat(context.getSentMails()).hasSize(1);
            assertUnanswered(copy, "already-answered");
        }
    }

    @Test
    void challengeClaimedElsewhereIsNotAnswered() throws Exception {
        OrderRecord order = openOrderWithDetails();
        assertThat(services.stateStore.claimChallenge(TestServices.CHALLENGE_URL, "other-node",
            Instant.now())).isTrue();
        Mail mail = ChallengeMails.mail("claimed", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertThat(services.state(order)).isEqualTo(OrderState.AUTHORIZATION_FETCHED);
        assertUnanswered(mail, "already-answered");
    }

    @Test
    void answerRecordsTheTriggerTime() throws Exception {
        OrderRecord order = openOrderWithDetails();
        Instant before = Instant.now();

        mailet.service(ChallengeMails.mail("challenge", ChallengeMails.challenge(CA, TOKEN_PART1), USER));

        OrderRecord answered = services.stateStore.order(order.id()).orElseThrow();
        assertThat(answered.state()).isEqualTo(OrderState.ANSWERED);
        assertThat(answered.retryAt()).isPresent();
        assertThat(answered.retryAt().get())
            .isAfterOrEqualTo(before.plus(Duration.ofHours(1)).minusSeconds(1));
        assertThat(answered.failure()).isEmpty();
    }

    @Test
    void challengeAfterTheOrderExpiredIsOrderExpired() throws Exception {
        OrderRecord order = openOrderWithDetails();
        services.finish(order, OrderState.FAILED);
        Mail late = ChallengeMails.mail("late", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(late);

        assertThat(context.getSentMails()).isEmpty();
        assertUnanswered(late, "order-expired");
    }

    @Test
    void challengeWithoutOrderIsNoPendingOrder() throws Exception {
        Mail mail = ChallengeMails.mail("no-order", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertUnanswered(mail, "no-pending-order");
    }

    @Test
    void wrongSenderIsFromMismatch() throws Exception {
        OrderRecord order = openOrderWithDetails();
        Mail mail = ChallengeMails.mail("forged",
            ChallengeMails.challenge("mallory@evil.test", TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertThat(services.state(order)).isEqualTo(OrderState.AUTHORIZATION_FETCHED);
        assertUnanswered(mail, "from-mismatch");
    }

    @Test
    void forgedReasonHeaderIsReplaced() throws Exception {
        openOrderWithDetails();
        MimeMessage message = ChallengeMails.challenge("mallory@evil.test", TOKEN_PART1);
        message.addHeader(UnansweredMails.REASON_HEADER, "none");
        Mail mail = ChallengeMails.mail("forged-header", message, USER);

        mailet.service(mail);

        assertUnanswered(mail, "from-mismatch");
    }

    @Test
    void invalidTokenIsRejectedWithItsReason() throws Exception {
        openOrderWithDetails();
        Mail mail = ChallengeMails.mail("short-token", ChallengeMails.challenge(CA, "tooShort"), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertUnanswered(mail, "token-too-short");
    }

    @Test
    void envelopeOnlyRecipientIsRejected() throws Exception {
        openOrderWithDetails();
        Mail mail = ChallengeMails.mail("bcc", ChallengeMails.message("From: " + CA
            + "\nTo: bob@example.test\nSubject: ACME: " + TOKEN_PART1 + "\n"), USER);

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertUnanswered(mail, "recipient-not-in-to");
    }

    @Test
    void nullSenderIsRejected() throws Exception {
        openOrderWithDetails();
        Mail mail = FakeMail.builder().name("bounce").mimeMessage(ChallengeMails.challenge(CA, TOKEN_PART1))
            .sender(org.apache.james.core.MaybeSender.nullSender()).recipient(new MailAddress(USER))
            .state(Mail.DEFAULT).build();

        mailet.service(mail);

        assertThat(context.getSentMails()).isEmpty();
        assertUnanswered(mail, "null-sender");
    }

    @Test
    void repositoryModeStoresTheUnansweredMail() throws Exception {
        mailet = initMailet(AuthenticityPolicy.insecureUnsigned(), "consume", "repository");
        Mail mail = ChallengeMails.mail("no-order", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(repository.mails()).hasSize(1);
        Mail stored = repository.mails().get(0);
        assertThat(stored.getMessage().getHeader(UnansweredMails.REASON_HEADER))
            .containsExactly("no-pending-order");
    }

    @Test
    void repositoryModeDeliversOrdinaryLookingMail() throws Exception {
        mailet = initMailet(AuthenticityPolicy.insecureUnsigned(), "consume", "repository");
        Mail mail = ChallengeMails.mail("q3", ChallengeMails.message("From: bob@example.test\nTo: "
            + USER + "\nSubject: ACME: Q3 results\n"), USER);

        mailet.service(mail);

        assertThat(repository.mails()).isEmpty();
        assertUnanswered(mail, "token-invalid-character");
    }

    @Test
    void challengeDatedBeforeTheOrderIsStale() throws Exception {
        OrderRecord order = openOrderWithDetails();
        Mail mail = ChallengeMails.mail("old", ChallengeMails.message("From: " + CA + "\nTo: " + USER
            + "\nSubject: ACME: " + TOKEN_PART1 + "\nDate: Mon, 01 Jan 2024 00:00:00 +0000\n"), USER);

        mailet.service(mail);

        assertThat(services.state(order)).isEqualTo(OrderState.AUTHORIZATION_FETCHED);
        assertThat(context.getSentMails()).isEmpty();
        assertUnanswered(mail, "stale-challenge");
    }

    @Test
    void deliverModeSkipsRejectedParkedCopy() throws Exception {
        mailet = initMailet(AuthenticityPolicy.insecureUnsigned(), "deliver", "inbox");
        OrderRecord order = services.createOrder(USER);
        Mail mail = ChallengeMails.mail("early-forged",
            ChallengeMails.challenge("mallory@evil.test", TOKEN_PART1), USER);

        mailet.service(mail);
        services.fetchAuthorization(order, TOKEN_PART2, CA);
        await(() -> services.metrics.snapshot().rejected() > 0);

        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(services.metrics.snapshot().rejectedByReason()).containsEntry("from-mismatch", 1L);
        assertThat(context.getSentMails()).isEmpty();
    }

    @Test
    void unsignedMailFailsTheDkimPolicy() throws Exception {
        mailet = initMailet(AuthenticityPolicy.anyOf(List.of(new DkimCheck((method, selector, domain) -> {
            throw new PermFailException("no keys in this test");
        }))), "consume", "inbox");
        OrderRecord order = openOrderWithDetails();
        Mail mail = ChallengeMails.mail("unsigned", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(services.state(order)).isEqualTo(OrderState.AUTHORIZATION_FETCHED);
        assertThat(context.getSentMails()).isEmpty();
        assertUnanswered(mail, "dkim-none");
    }

    @Test
    void recipientsWithDifferentOutcomesAreSplit() throws Exception {
        openOrderWithDetails();
        Mail mail = ChallengeMails.mail("two", ChallengeMails.challenge(CA, TOKEN_PART1), USER,
            "carol@example.test");

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        List<FakeMailContext.SentMail> sent = context.getSentMails();
        assertThat(sent).hasSize(2);
        MailAddress carol = new MailAddress("carol@example.test");
        FakeMailContext.SentMail forCarol = sent.stream()
            .filter(one -> one.getRecipients().contains(carol))
            .findFirst().orElseThrow();
        assertThat(forCarol.getMsg().getHeader(UnansweredMails.REASON_HEADER))
            .containsExactly("no-pending-order");
        assertThat(forCarol.getAttributes()).containsKey(UnansweredMails.REDELIVERED);
    }

    @Test
    void concurrentCopiesGetOneResponse() throws Exception {
        OrderRecord order = openOrderWithDetails();
        int copies = 8;
        ExecutorService threads = Executors.newFixedThreadPool(copies);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Mail>> results = new ArrayList<>();
        try {
            for (int i = 0; i < copies; i++) {
                Mail mail = ChallengeMails.mail("copy-" + i, ChallengeMails.challenge(CA, TOKEN_PART1), USER);
                results.add(threads.submit(() -> {
                    start.await();
                    mailet.service(mail);
                    return mail;
                }));
            }
            start.countDown();
            int consumed = 0;
            for (Future<Mail> result : results) {
                if (Mail.GHOST.equals(result.get().getState())) {
                    consumed++;
                } else {
                    assertUnanswered(result.get(), "already-answered");
                }
            }
            assertThat(consumed).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
        assertThat(services.state(order)).isEqualTo(OrderState.ANSWERED);
        assertThat(context.getSentMails()).hasSize(1);
    }

    @Test
    void challengeBeforeTokenPart2IsAnsweredLater() throws Exception {
        OrderRecord order = services.createOrder(USER);
        Mail mail = ChallengeMails.mail("early", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.getSentMails()).isEmpty();

        services.fetchAuthorization(order, TOKEN_PART2, CA);

        await(() -> !context.getSentMails().isEmpty());
        assertThat(context.getSentMails()).hasSize(1);
        assertResponse(context.getSentMails().get(0).getMsg());
    }

    @Test
    void parkedChallengeWithWrongSenderIsRedeliveredWithItsReason() throws Exception {
        OrderRecord order = services.createOrder(USER);
        Mail mail = ChallengeMails.mail("early-forged",
            ChallengeMails.challenge("mallory@evil.test", TOKEN_PART1), USER);

        mailet.service(mail);
        services.fetchAuthorization(order, TOKEN_PART2, CA);

        await(() -> !context.getSentMails().isEmpty());
        assertThat(services.state(order)).isEqualTo(OrderState.AUTHORIZATION_FETCHED);
        assertThat(context.getSentMails()).hasSize(1);
        FakeMailContext.SentMail redelivered = context.getSentMails().get(0);
        assertThat(redelivered.getRecipients()).containsExactly(new MailAddress(USER));
        assertThat(redelivered.getSubject()).contains("ACME: " + TOKEN_PART1);
        assertThat(redelivered.getAttributes()).containsKey(UnansweredMails.REDELIVERED);
        assertThat(redelivered.getMsg().getHeader(UnansweredMails.REASON_HEADER))
            .containsExactly("from-mismatch");
    }

    @Test
    void parkedChallengeOfFailedOrderIsRedelivered() throws Exception {
        OrderRecord order = services.createOrder(USER);
        mailet.service(ChallengeMails.mail("early", ChallengeMails.challenge(CA, TOKEN_PART1), USER));

        services.finish(order, OrderState.FAILED);

        await(() -> !context.getSentMails().isEmpty());
        assertThat(context.getSentMails().get(0).getMsg().getHeader(UnansweredMails.REASON_HEADER))
            .containsExactly("order-failed");
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

    private AnswerAcmeChallenge newMailet(AuthenticityPolicy policy) {
        return new AnswerAcmeChallenge(services.responder, policy, services.metrics, repository.store());
    }

    private AnswerAcmeChallenge initMailet(AuthenticityPolicy policy, String challengeMail,
                                           String unansweredMail) throws MessagingException {
        AnswerAcmeChallenge answering = newMailet(policy);
        answering.init(FakeMailetConfig.builder()
            .mailetName("AnswerAcmeChallenge")
            .mailetContext(context)
            .setProperty("challengeMail", challengeMail)
            .setProperty("unansweredMail", unansweredMail)
            .setProperty("responseProcessor", RESPONSE_PROCESSOR)
            .build());
        return answering;
    }

    private OrderRecord openOrderWithDetails() {
        return services.fetchAuthorization(services.createOrder(USER), TOKEN_PART2, CA);
    }

    private static void assertUnanswered(Mail mail, String code) throws MessagingException {
        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(mail.getRecipients()).containsExactly(new MailAddress(USER));
        assertThat(mail.getMessage().getHeader(UnansweredMails.REASON_HEADER)).containsExactly(code);
        assertThat(mail.getAttribute(UnansweredMails.REASON)).isPresent();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (!condition.getAsBoolean() && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
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
