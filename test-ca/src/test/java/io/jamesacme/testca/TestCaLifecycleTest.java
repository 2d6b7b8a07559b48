package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.util.KeyPairUtils;

/** Root persistence across restarts, the account count and the early challenge timing. */
class TestCaLifecycleTest {

    static {
        // acme4j's KeyPairUtils creates EC keys through the Bouncy Castle provider.
        Security.addProvider(new BouncyCastleProvider());
    }

    @TempDir
    Path stateDirectory;

    @Test
    void restartKeepsRootAndTrustStore() throws Exception {
        try (MailFixture mail = new MailFixture()) {
            byte[] firstRoot;
            try (TestCa ca = mail.startCa(stateDirectory, builder -> builder)) {
                firstRoot = ca.rootCertificate().getEncoded();
                assertThat(ca.rootCertificatePem()).startsWith(stateDirectory).exists();
                assertThat(Files.readString(ca.rootCertificatePem()))
                        .startsWith("-----BEGIN CERTIFICATE-----");
            }
            try (TestCa ca = mail.startCa(stateDirectory, builder -> builder)) {
                assertThat(ca.rootCertificate().getEncoded()).isEqualTo(firstRoot);
                KeyStore trustStore = KeyStore.getInstance(ca.trustStoreType());
                try (InputStream in = Files.newInputStream(ca.trustStore())) {
                    trustStore.load(in, ca.trustStorePassword().toCharArray());
                }
                assertThat(trustStore.size()).isEqualTo(1);
                String alias = trustStore.aliases().nextElement();
                assertThat(trustStore.getCertificate(alias).getEncoded()).isEqualTo(firstRoot);
                Session session = new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
                assertThat(session.getMetadata().getTermsOfService()).isPresent();
            }
        }
    }

    @Test
    void accountCountIncludesDeactivated() throws Exception {
        try (MailFixture mail = new MailFixture();
                TestCa ca = mail.startCa(stateDirectory, builder -> builder)) {
            Session session = new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
            assertThat(ca.accountCount()).isZero();

            KeyPair firstKey = KeyPairUtils.createKeyPair();
            Account first = new AccountBuilder().agreeToTermsOfService().useKeyPair(firstKey)
                    .create(session);
            new AccountBuilder().agreeToTermsOfService()
                    .useKeyPair(KeyPairUtils.createKeyPair()).create(session);
            assertThat(ca.accountCount()).isEqualTo(2);

            new AccountBuilder().agreeToTermsOfService().useKeyPair(firstKey).create(session);
            assertThat(ca.accountCount()).as("same key again").isEqualTo(2);
            first.changeKey(KeyPairUtils.createKeyPair());
            assertThat(ca.accountCount()).as("after key rollover").isEqualTo(2);
            first.deactivate();
            assertThat(ca.accountCount()).as("after deactivation").isEqualTo(2);
        }
    }

    @Test
    void earlyTimingMailsBeforeAuthorizationResponse() throws Exception {
        Duration hold = Duration.ofMillis(1500);
        String address = "early@example.test";
        try (MailFixture mail = new MailFixture();
                TestCa ca = mail.startCa(stateDirectory, builder -> builder
                        .challengeTiming(ChallengeTiming.BEFORE_AUTHORIZATION_RESPONSE)
                        .earlyChallengeHold(hold))) {
            Session session = new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
            Account account = new AccountBuilder().agreeToTermsOfService()
                    .useKeyPair(KeyPairUtils.createKeyPair()).create(session);
            Order order = account.newOrder().identifier(new Identifier("email", address))
                    .create();
            Instant start = Instant.now();
            Challenge challenge = order.getAuthorizations().get(0).getChallenges().get(0);
            Duration fetchTime = Duration.between(start, Instant.now());

            assertThat(challenge.getType()).isEqualTo("email-reply-00");
            assertThat(fetchTime).isGreaterThanOrEqualTo(hold);
            assertThat(mail.challengeMails(address)).hasSize(1);
            assertThat(ca.challengesSent(address)).isEqualTo(1);
        }
    }
}
