package io.jamesacme.smime.authenticity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.jamesacme.smime.rfc8823.RejectionReason;

class VerdictTest {

    @Test
    void authenticCarriesMethodOnly() {
        Verdict verdict = Verdict.authentic(AuthenticityMethod.DKIM, "signed by ca.test");

        assertThat(verdict.isAuthentic()).isTrue();
        assertThat(verdict.method()).contains(AuthenticityMethod.DKIM);
        assertThat(verdict.reason()).isEmpty();
        assertThat(verdict.detail()).isEqualTo("signed by ca.test");
    }

    @Test
    void rejectedCarriesReasonOnly() {
        Verdict verdict = Verdict.rejected(RejectionReason.SMIME_NONE, "not signed");

        assertThat(verdict.isAuthentic()).isFalse();
        assertThat(verdict.method()).isEmpty();
        assertThat(verdict.reason()).contains(RejectionReason.SMIME_NONE);
        assertThat(verdict.detail()).isEqualTo("not signed");
    }
}
