package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.jamesacme.testca.Fault;
import io.jamesacme.testca.FaultKind;

/**
 * The ACME account key is replaced through {@code POST /acme-smime/account/key-rollover}. The
 * account URL stays, and the next order is signed and answered with the new key, which the CA
 * checks. When the CA rejects the change, or applies it but answers after the client's
 * timeout, the stored key must still be the one the CA has, so the next order works either way.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccountKeyRolloverIT {

    private static final String DOMAIN = "example.test";
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);
    private static final String ROLLOVER_PATH = "/acme-smime/account/key-rollover";

    private static AcmeLab lab;

    @BeforeAll
    static void startLab() throws Exception {
        lab = AcmeLab.builder(LabDirectories.fresh("account-key-rollover"))
                .acmeSetting("provisioning.enabled", "false")
                .acmeSetting("acme.timeout", "3s")
                .start();
        lab.createDomain(DOMAIN);
        orderCertificate("first@" + DOMAIN);
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void rolloverKeepsAccountForNextOrder() throws Exception {
        String accountUrl = lab.webAdmin().rolloverAccountKey();

        assertThat(accountUrl).startsWith(lab.ca().directoryUrl().resolve("/acct/").toString());
        assertThat(keyChanges(200)).isEqualTo(1);
        assertThat(lab.james().log()).contains("Rolled over the key of ACME account " + accountUrl);
        orderCertificate("after-rollover@" + DOMAIN);
        assertThat(lab.ca().accountCount()).isEqualTo(1);
    }

    @Test
    @Order(2)
    void rejectedRolloverKeepsTheOldKey() throws Exception {
        lab.ca().inject(Fault.of(FaultKind.SERVER_ERROR_500, 1).onlyOn("keyChange"));

        HttpResponse<String> response = lab.webAdmin().post(ROLLOVER_PATH);

        lab.ca().clearFaults();
        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(lab.james().log()).contains("The CA rejected the key rollover");
        orderCertificate("after-rejected@" + DOMAIN);
        assertThat(lab.ca().accountCount()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void rolloverAnsweredAfterTimeoutKeepsTheNewKey() throws Exception {
        // The CA changes the key at once and answers after the client gave up.
        lab.ca().inject(Fault.of(FaultKind.SLOW_RESPONSE, 1).withDelay(Duration.ofSeconds(6)).onlyOn("keyChange"));

        HttpResponse<String> response = lab.webAdmin().post(ROLLOVER_PATH);

        lab.ca().clearFaults();
        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(lab.james().log()).contains("the CA has the new key");
        assertThat(keyChanges(200)).as("key changes the CA applied").isEqualTo(2);
        orderCertificate("after-timeout@" + DOMAIN);
        assertThat(lab.ca().accountCount()).isEqualTo(1);
    }

    /** Orders a certificate for a new user and waits until it is valid. */
    private static void orderCertificate(String user) {
        lab.createUser(user, "password");
        lab.webAdmin().requestCertificate(user);
        lab.awaitValidCertificate(user, CERTIFICATE_TIMEOUT);
        assertThat(lab.ca().issuedCertificates(user)).as("certificates for " + user).hasSize(1);
    }

    private static long keyChanges(int status) {
        return lab.ca().requestLog().stream()
                .filter(entry -> entry.endpoint().equals("keyChange") && entry.status() == status)
                .count();
    }
}
