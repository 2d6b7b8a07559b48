package io.jamesacme.smime.authenticity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;

import io.jamesacme.smime.rfc8823.RejectionReason;

class TrustedSenderCheckTest {
    private static final String CA_ACCOUNT = "acme-ca";
    private static final String CA_ADDRESS = "acme-ca@ca.test";

    private final TrustedSenderCheck check = new TrustedSenderCheck(CA_ACCOUNT, CA_ADDRESS);
    private final MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));

    private Verdict check(String from, Optional<String> smtpAuthUser) throws Exception {
        return check.check(message, new InternetAddress(from), smtpAuthUser);
    }

    private static void assertRejected(Verdict verdict, RejectionReason reason) {
        assertThat(verdict.isAuthentic()).as(verdict.detail()).isFalse();
        assertThat(verdict.reason()).as(verdict.detail()).contains(reason);
    }

    @Test
    void methodIsTrustedLocalSender() {
        assertThat(check.method()).isEqualTo(AuthenticityMethod.TRUSTED_LOCAL_SENDER);
    }

    @Test
    void mailWithoutSmtpAuthIsNotAuthenticated() throws Exception {
        assertRejected(check(CA_ADDRESS, Optional.empty()), RejectionReason.SENDER_NOT_AUTHENTICATED);
    }

    @Test
    void otherSmtpUserIsNotTrusted() throws Exception {
        Verdict verdict = check(CA_ADDRESS, Optional.of("mallory"));

        assertRejected(verdict, RejectionReason.SENDER_NOT_TRUSTED);
        assertThat(verdict.detail()).contains("mallory").contains(CA_ACCOUNT);
    }

    @Test
    void prefixedSmtpUserIsNotTrusted() throws Exception {
        assertRejected(check(CA_ADDRESS, Optional.of(CA_ACCOUNT + "-2")), RejectionReason.SENDER_NOT_TRUSTED);
    }

    @Test
    void caAccountWithOtherFromIsNotTrusted() throws Exception {
        Verdict verdict = check("postmaster@ca.test", Optional.of(CA_ACCOUNT));

        assertRejected(verdict, RejectionReason.SENDER_NOT_TRUSTED);
        assertThat(verdict.detail()).contains("postmaster@ca.test").contains(CA_ADDRESS);
    }

    @Test
    void caAccountWithCaFromIsAuthentic() throws Exception {
        Verdict verdict = check(CA_ADDRESS, Optional.of(CA_ACCOUNT));

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
        assertThat(verdict.method()).contains(AuthenticityMethod.TRUSTED_LOCAL_SENDER);
        assertThat(verdict.reason()).isEmpty();
    }

    @Test
    void userAndAddressCompareCaseInsensitively() throws Exception {
        Verdict verdict = check("ACME-CA@Ca.Test", Optional.of("ACME-Ca"));

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }

    @Test
    void addressAsSmtpUserIsAuthentic() throws Exception {
        TrustedSenderCheck byAddress = new TrustedSenderCheck(CA_ADDRESS, CA_ADDRESS);

        Verdict verdict = byAddress.check(message, new InternetAddress(CA_ADDRESS), Optional.of(CA_ADDRESS));

        assertThat(verdict.isAuthentic()).as(verdict.detail()).isTrue();
    }
}
