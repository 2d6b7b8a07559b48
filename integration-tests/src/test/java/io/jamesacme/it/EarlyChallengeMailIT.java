package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.jamesacme.testca.ChallengeTiming;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test CA sends the challenge mail while it still delays its response to the first
 * authorization fetch, so the mail reaches James before the extension knows token-part2.
 * The order must complete all the same.
 */
class EarlyChallengeMailIT {

    private static final String DOMAIN = "example.test";
    private static final String DAVE = "dave@" + DOMAIN;
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);

    private static AcmeLab lab;

    @BeforeAll
    static void startLab() throws Exception {
        lab = AcmeLab.builder(LabDirectories.fresh("early-challenge-mail"))
                .challengeTiming(ChallengeTiming.BEFORE_AUTHORIZATION_RESPONSE)
                .start();
        lab.webAdmin().createDomain(DOMAIN);
        lab.webAdmin().createUser(DAVE, "dave-password");
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void orderCompletesWhenMailPrecedesAuthorization() throws Exception {
        CertificateStatus status = lab.awaitValidCertificate(DAVE, CERTIFICATE_TIMEOUT);

        char[] passphrase = lab.james().workingDirectory().pkcs12Passphrase().toCharArray();
        IssuedCertificate certificate = IssuedCertificate.load(lab.keyStoreOf(DAVE), passphrase, DAVE);
        assertThat(certificate.rfc822Names()).containsExactly(DAVE);
        certificate.verifyChain(lab.ca().rootCertificate());
        assertThat(status.notAfter()).isEqualTo(certificate.endEntity().getNotAfter().toInstant());
        assertThat(lab.ca().responsesReceived(DAVE)).isEqualTo(1);
    }
}
