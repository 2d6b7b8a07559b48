package io.jamesacme.testca;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.challenge.Challenge;

/** Places acme4j orders against a test CA for tests of the challenge mail. */
final class ChallengeOrders {

    /** An order for one address, with its authorization and challenge fetched once. */
    record Placed(Order order, Authorization authorization, Challenge challenge) {
    }

    private ChallengeOrders() {
    }

    /**
     * Creates an account with a new P-256 key and orders {@code address}. Fetching the
     * authorization is the first fetch, which starts the CA's challenge mail.
     */
    static Placed place(TestCa ca, String address) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair accountKey = generator.generateKeyPair();
        Session session = new Session(ca.directoryUrl(), new TrustStoreAcmeProvider(ca));
        Account account = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey)
                .create(session);
        Order order = account.newOrder().identifier(new Identifier("email", address)).create();
        Authorization authorization = order.getAuthorizations().get(0);
        Challenge challenge = authorization.getChallenges().get(0);
        return new Placed(order, authorization, challenge);
    }

    /**
     * Waits up to 5 s until {@code ca} counts {@code expected} challenge mails to
     * {@code address}, and returns the count. The CA counts a mail when its SMTP transaction
     * ends, which can be after the SMTP server already delivered it.
     */
    static int awaitChallengesSent(TestCa ca, String address, int expected) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(5));
        int sent = ca.challengesSent(address);
        while (sent < expected && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
            sent = ca.challengesSent(address);
        }
        return sent;
    }
}
