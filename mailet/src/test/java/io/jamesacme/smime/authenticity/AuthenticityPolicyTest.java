package io.jamesacme.smime.authenticity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;

import io.jamesacme.smime.rfc8823.RejectionReason;

class AuthenticityPolicyTest {
    private static final Optional<String> NO_AUTH = Optional.empty();

    private final MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
    private final InternetAddress from = address("acme-ca@ca.test");

    /** A check that returns a fixed verdict and counts its calls. */
    private static final class FixedCheck implements AuthenticityCheck {
        private final AuthenticityMethod method;
        private final Verdict verdict;
        int calls;

        FixedCheck(AuthenticityMethod method, Verdict verdict) {
            this.method = method;
            this.verdict = verdict;
        }

        static FixedCheck rejecting(AuthenticityMethod method, RejectionReason reason) {
            return new FixedCheck(method, Verdict.rejected(reason, reason.code()));
        }

        static FixedCheck accepting(AuthenticityMethod method) {
            return new FixedCheck(method, Verdict.authentic(method, "accepted by " + method));
        }

        @Override
        public Verdict check(MimeMessage message, InternetAddress from, Optional<String> smtpAuthUser) {
            calls++;
            return verdict;
        }

        @Override
        public AuthenticityMethod method() {
            return method;
        }
    }

    private static InternetAddress address(String value) {
        try {
            return new InternetAddress(value);
        } catch (Exception e) {
            throw new IllegalArgumentException(value, e);
        }
    }

    private Verdict check(AuthenticityCheck... checks) {
        return AuthenticityPolicy.anyOf(List.of(checks)).check(message, from, NO_AUTH);
    }

    @Test
    void firstAuthenticVerdictIsReturned() {
        FixedCheck dkim = FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_NONE);
        FixedCheck smime = FixedCheck.accepting(AuthenticityMethod.SMIME);
        FixedCheck trusted = FixedCheck.accepting(AuthenticityMethod.TRUSTED_LOCAL_SENDER);

        Verdict verdict = check(dkim, smime, trusted);

        assertThat(verdict.isAuthentic()).isTrue();
        assertThat(verdict.method()).contains(AuthenticityMethod.SMIME);
        assertThat(dkim.calls).isEqualTo(1);
        assertThat(smime.calls).isEqualTo(1);
        assertThat(trusted.calls).isZero();
    }

    @Test
    void authenticAfterFailureIsAuthentic() {
        Verdict verdict = check(FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_FAIL),
            FixedCheck.accepting(AuthenticityMethod.SMIME));

        assertThat(verdict.method()).contains(AuthenticityMethod.SMIME);
    }

    @Test
    void failingSignatureIsPreferredOverAbsentOne() {
        Verdict verdict = check(FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_FAIL),
            FixedCheck.rejecting(AuthenticityMethod.SMIME, RejectionReason.SMIME_NONE));

        assertThat(verdict.reason()).contains(RejectionReason.DKIM_FAIL);
    }

    @Test
    void laterFailureBeatsEarlierAbsence() {
        Verdict verdict = check(FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_NONE),
            FixedCheck.rejecting(AuthenticityMethod.SMIME, RejectionReason.SMIME_UNTRUSTED),
            FixedCheck.rejecting(AuthenticityMethod.TRUSTED_LOCAL_SENDER,
                RejectionReason.SENDER_NOT_AUTHENTICATED));

        assertThat(verdict.reason()).contains(RejectionReason.SMIME_UNTRUSTED);
        assertThat(verdict.detail()).isEqualTo(RejectionReason.SMIME_UNTRUSTED.code());
    }

    @Test
    void firstOfSeveralFailuresIsReported() {
        Verdict verdict = check(FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_NONE),
            FixedCheck.rejecting(AuthenticityMethod.SMIME, RejectionReason.SMIME_BAD_SIGNATURE),
            FixedCheck.rejecting(AuthenticityMethod.TRUSTED_LOCAL_SENDER, RejectionReason.SENDER_NOT_TRUSTED));

        assertThat(verdict.reason()).contains(RejectionReason.SMIME_BAD_SIGNATURE);
    }

    @Test
    void temporaryErrorIsPreferredOverAbsentSignature() {
        Verdict verdict = check(FixedCheck.rejecting(AuthenticityMethod.SMIME, RejectionReason.SMIME_NONE),
            FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_TEMPERROR));

        assertThat(verdict.reason()).contains(RejectionReason.DKIM_TEMPERROR);
    }

    @Test
    void allAbsentReportsFirstCheck() {
        Verdict verdict = check(FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_NONE),
            FixedCheck.rejecting(AuthenticityMethod.SMIME, RejectionReason.SMIME_NONE),
            FixedCheck.rejecting(AuthenticityMethod.TRUSTED_LOCAL_SENDER,
                RejectionReason.SENDER_NOT_AUTHENTICATED));

        assertThat(verdict.isAuthentic()).isFalse();
        assertThat(verdict.reason()).contains(RejectionReason.DKIM_NONE);
    }

    @Test
    void singleCheckVerdictIsReturned() {
        Verdict verdict = check(FixedCheck.rejecting(AuthenticityMethod.SMIME, RejectionReason.SMIME_NONE));

        assertThat(verdict.reason()).contains(RejectionReason.SMIME_NONE);
    }

    @Test
    void everyCheckRunsWhenAllReject() {
        FixedCheck dkim = FixedCheck.rejecting(AuthenticityMethod.DKIM, RejectionReason.DKIM_FAIL);
        FixedCheck smime = FixedCheck.rejecting(AuthenticityMethod.SMIME, RejectionReason.SMIME_NONE);

        check(dkim, smime);

        assertThat(dkim.calls).isEqualTo(1);
        assertThat(smime.calls).isEqualTo(1);
    }

    @Test
    void anyOfWithoutChecksIsRejected() {
        assertThatThrownBy(() -> AuthenticityPolicy.anyOf(List.of()))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anyOfIsNotInsecure() {
        AuthenticityPolicy policy = AuthenticityPolicy.anyOf(
            List.of(FixedCheck.accepting(AuthenticityMethod.DKIM)));

        assertThat(policy.isInsecure()).isFalse();
    }

    @Test
    void insecureUnsignedAcceptsEveryMail() {
        AuthenticityPolicy policy = AuthenticityPolicy.insecureUnsigned();

        Verdict verdict = policy.check(message, from, NO_AUTH);

        assertThat(policy.isInsecure()).isTrue();
        assertThat(verdict.isAuthentic()).isTrue();
        assertThat(verdict.method()).contains(AuthenticityMethod.INSECURE_UNSIGNED);
    }

    @Test
    void insecureUnsignedWarnsOnEveryUse() {
        AuthenticityPolicy policy = AuthenticityPolicy.insecureUnsigned();
        PrintStream standardError = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        // slf4j-simple, the test logger, writes to the current System.err.
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            policy.check(message, from, NO_AUTH);
            policy.check(message, address("other@ca.test"), NO_AUTH);
        } finally {
            System.setErr(standardError);
        }

        List<String> warnings = captured.toString(StandardCharsets.UTF_8).lines()
            .filter(line -> line.contains("WARN") && line.contains("WITHOUT an authenticity check"))
            .toList();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).contains("acme-ca@ca.test");
        assertThat(warnings.get(1)).contains("other@ca.test");
    }
}
