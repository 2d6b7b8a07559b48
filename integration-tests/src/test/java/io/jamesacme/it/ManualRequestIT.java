package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Automatic provisioning off: a certificate is requested only through
 * {@code POST /acme-smime/certificates/{address}}. This James also uses RSA 2048 keys and an
 * account contact, so non-default settings of acme-smime.properties run end to end.
 */
class ManualRequestIT {

    private static final String DOMAIN = "example.test";
    private static final String ERIN = "erin@" + DOMAIN;
    private static final Duration CERTIFICATE_TIMEOUT = Duration.ofSeconds(120);

    private static AcmeLab lab;

    @BeforeAll
    static void startLab() throws Exception {
        lab = AcmeLab.builder(LabDirectories.fresh("manual-request"))
                .acmeSetting("provisioning.enabled", "false")
                .acmeSetting("certificate.key-type", "rsa-2048")
                .acmeSetting("acme.account.contact", "mailto:postmaster@" + DOMAIN)
                .start();
        lab.webAdmin().createDomain(DOMAIN);
        lab.webAdmin().createUser(ERIN, "erin-password");
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void postRequestsCertificate() throws Exception {
        CertificateStatus before = lab.webAdmin().certificateStatus(ERIN).orElseThrow();
        assertThat(before.state()).isEqualTo("none");

        CertificateStatus accepted = lab.webAdmin().requestCertificate(ERIN);
        assertThat(accepted.address()).isEqualTo(ERIN);
        assertThat(accepted.state()).isIn("ordering", "pending", "answered", "valid");

        CertificateStatus valid = lab.awaitValidCertificate(ERIN, CERTIFICATE_TIMEOUT);
        char[] passphrase = lab.james().workingDirectory().pkcs12Passphrase().toCharArray();
        IssuedCertificate certificate = IssuedCertificate.load(lab.keyStoreOf(ERIN), passphrase, ERIN);
        assertThat(certificate.rfc822Names()).containsExactly(ERIN);
        certificate.verifyChain(lab.ca().rootCertificate());
        assertThat(certificate.endEntity().getPublicKey()).isInstanceOf(RSAPublicKey.class);
        assertThat(((RSAPublicKey) certificate.endEntity().getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(valid.notAfter()).isEqualTo(certificate.endEntity().getNotAfter().toInstant());
        assertThat(lab.ca().responsesReceived(ERIN)).isEqualTo(1);
    }

    @Test
    void postForUnknownUserIs404() {
        HttpResponse<String> response = lab.webAdmin().post("/acme-smime/certificates/nobody@" + DOMAIN);

        assertThat(response.statusCode()).isEqualTo(404);
    }
}
