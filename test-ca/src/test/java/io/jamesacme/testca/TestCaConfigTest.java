package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TestCaConfigTest {

    private static TestCaConfig.Builder valid() {
        return TestCaConfig.builder().stateDirectory(Path.of("state"))
                .imap("127.0.0.1", 143, "ca", "pw").caAddress("acme-ca@ca.test");
    }

    @Test
    void defaultsSendUnsignedMailsWithoutAuth() {
        TestCaConfig config = valid().build();

        assertThat(config.challengeSigning()).isEqualTo(ChallengeSigning.UNSIGNED);
        assertThat(config.challengeMailHeld()).isFalse();
        assertThat(config.smtpAuthUser()).isEmpty();
        assertThat(config.smtpAuthPassword()).isEmpty();
        assertThat(config.caDomain()).isEqualTo("ca.test");
    }

    @Test
    void caAddressNeedsDomain() {
        for (String address : new String[] {"acme-ca", "acme-ca@", "@ca.test"}) {
            assertThatThrownBy(() -> valid().caAddress(address).build()).as(address)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + address + "'");
        }
    }

    @Test
    void smtpAuthNeedsUserAndPassword() {
        assertThatThrownBy(() -> valid().smtpAuth(" ", "pw").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("smtpAuth user");
        assertThatThrownBy(() -> valid().smtpAuth("ca", null).build())
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("smtpAuth password");
        assertThat(valid().smtpAuth("ca", "pw").build().smtpAuthUser()).contains("ca");
    }

    @Test
    void signingIsRequired() {
        assertThatThrownBy(() -> valid().challengeSigning(null).build())
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("challengeSigning");
    }
}
