package io.jamesacme.smime.authenticity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AuthenticityMethodTest {

    @ParameterizedTest
    @EnumSource(AuthenticityMethod.class)
    void methodReadsBackFromConfigValue(AuthenticityMethod method) {
        assertThat(AuthenticityMethod.fromConfigValue(method.configValue())).contains(method);
        assertThat(AuthenticityMethod.fromConfigValue(" " + method.configValue().toUpperCase() + " "))
            .contains(method);
    }

    @Test
    void configValuesAreFixed() {
        assertThat(Arrays.stream(AuthenticityMethod.values()).map(AuthenticityMethod::configValue))
            .containsExactly("dkim", "smime", "trusted-local-sender", "insecure-unsigned");
        assertThat(AuthenticityMethod.allowedValues())
            .isEqualTo("dkim, smime, trusted-local-sender, insecure-unsigned");
    }

    @Test
    void unknownConfigValueIsEmpty() {
        assertThat(AuthenticityMethod.fromConfigValue("pgp")).isEmpty();
        assertThat(AuthenticityMethod.fromConfigValue("")).isEmpty();
        assertThat(AuthenticityMethod.fromConfigValue("unverified-lab-only")).isEmpty();
    }
}
