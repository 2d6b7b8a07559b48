package io.jamesacme.smime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.MapConfiguration;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.builder.FileBasedConfigurationBuilder;
import org.apache.commons.configuration2.builder.fluent.Parameters;
import org.apache.commons.configuration2.convert.DefaultListDelimiterHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.jamesacme.smime.authenticity.AuthenticityMethod;

class AuthenticitySettingsTest {
    @TempDir
    Path baseDirectory;

    private final Map<String, Object> values = new HashMap<>(Map.of(
        AcmeSmimeConfiguration.DIRECTORY, "https://ca.example/directory",
        AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "env:P12_PASSPHRASE"));

    private AuthenticitySettings read() {
        return AcmeSmimeConfiguration.from(new MapConfiguration(values), baseDirectory,
            name -> Optional.of("s3cret")).authenticity();
    }

    private void assertInvalid(String parameter, String expectedText) {
        assertThatThrownBy(this::read)
            .isInstanceOf(InvalidConfigurationException.class)
            .hasMessageContaining("'" + parameter + "'")
            .hasMessageContaining(expectedText);
    }

    private Path file(String relativePath) throws Exception {
        Path file = baseDirectory.resolve(relativePath);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "content\n");
        return file;
    }

    @Test
    void defaultsAreDkimAndSmimeWithDnsKeys() {
        AuthenticitySettings settings = read();

        assertThat(settings.methods())
            .containsExactlyInAnyOrder(AuthenticityMethod.DKIM, AuthenticityMethod.SMIME);
        assertThat(settings.dkimKeyFile()).isEmpty();
        assertThat(settings.smimeTrustAnchors()).isEmpty();
        assertThat(settings.trustedSmtpUser()).isEmpty();
        assertThat(settings.trustedAddress()).isEmpty();
    }

    @Test
    void defaultConstantNamesDkimAndSmime() {
        assertThat(AuthenticitySettings.DEFAULT_METHODS).isEqualTo("dkim,smime");
    }

    @Test
    void methodsAreReadCaseAndSpaceInsensitively() {
        values.put(AuthenticitySettings.METHODS, " SMIME , dkim,");

        assertThat(read().methods())
            .containsExactlyInAnyOrder(AuthenticityMethod.DKIM, AuthenticityMethod.SMIME);
    }

    @Test
    void singleMethodIsRead() {
        values.put(AuthenticitySettings.METHODS, "smime");

        assertThat(read().methods()).containsExactly(AuthenticityMethod.SMIME);
    }

    @Test
    void blankMethodsFallBackToDefault() {
        values.put(AuthenticitySettings.METHODS, "   ");

        assertThat(read().methods())
            .containsExactlyInAnyOrder(AuthenticityMethod.DKIM, AuthenticityMethod.SMIME);
    }

    @Test
    void methodsAreImmutable() {
        AuthenticitySettings settings = read();

        assertThatThrownBy(() -> settings.methods().add(AuthenticityMethod.INSECURE_UNSIGNED))
            .isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pgp", "dkim,pgp", "unverified-lab-only"})
    void unknownMethodNamesParameter(String value) {
        values.put(AuthenticitySettings.METHODS, value);

        assertInvalid(AuthenticitySettings.METHODS, AuthenticityMethod.allowedValues());
        assertThatThrownBy(this::read).hasMessageContaining(value);
    }

    @Test
    void onlyCommasNamesParameter() {
        values.put(AuthenticitySettings.METHODS, ", ,");

        assertInvalid(AuthenticitySettings.METHODS, "at least one");
    }

    @Test
    void insecureUnsignedAloneIsRead() {
        values.put(AuthenticitySettings.METHODS, "insecure-unsigned");

        assertThat(read().methods()).containsExactly(AuthenticityMethod.INSECURE_UNSIGNED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"insecure-unsigned,dkim", "smime,insecure-unsigned"})
    void insecureUnsignedWithOtherMethodIsRejected(String value) {
        values.put(AuthenticitySettings.METHODS, value);

        assertInvalid(AuthenticitySettings.METHODS, "cannot be combined");
    }

    @Test
    void trustedLocalSenderNeedsSmtpUser() {
        values.put(AuthenticitySettings.METHODS, "trusted-local-sender");

        assertInvalid(AuthenticitySettings.TRUSTED_SMTP_USER, "required");
    }

    @Test
    void smtpUserThatIsAddressGivesAddress() {
        values.put(AuthenticitySettings.METHODS, "dkim,trusted-local-sender");
        values.put(AuthenticitySettings.TRUSTED_SMTP_USER, "acme-ca@ca.test");

        AuthenticitySettings settings = read();

        assertThat(settings.methods()).containsExactlyInAnyOrder(AuthenticityMethod.DKIM,
            AuthenticityMethod.TRUSTED_LOCAL_SENDER);
        assertThat(settings.trustedSmtpUser()).contains("acme-ca@ca.test");
        assertThat(settings.trustedAddress()).contains("acme-ca@ca.test");
    }

    @Test
    void explicitAddressWinsOverSmtpUser() {
        values.put(AuthenticitySettings.METHODS, "trusted-local-sender");
        values.put(AuthenticitySettings.TRUSTED_SMTP_USER, "acme-ca@ca.test");
        values.put(AuthenticitySettings.TRUSTED_ADDRESS, "challenges@ca.test");

        assertThat(read().trustedAddress()).contains("challenges@ca.test");
    }

    @Test
    void smtpUserWithoutDomainNeedsAddress() {
        values.put(AuthenticitySettings.METHODS, "trusted-local-sender");
        values.put(AuthenticitySettings.TRUSTED_SMTP_USER, "acme-ca");

        assertInvalid(AuthenticitySettings.TRUSTED_ADDRESS, "required");
    }

    @Test
    void smtpUserWithoutDomainAndAddressIsRead() {
        values.put(AuthenticitySettings.METHODS, "trusted-local-sender");
        values.put(AuthenticitySettings.TRUSTED_SMTP_USER, "acme-ca");
        values.put(AuthenticitySettings.TRUSTED_ADDRESS, "acme-ca@ca.test");

        AuthenticitySettings settings = read();

        assertThat(settings.trustedSmtpUser()).contains("acme-ca");
        assertThat(settings.trustedAddress()).contains("acme-ca@ca.test");
    }

    @Test
    void keySourceDnsIsDefault() {
        values.put(AuthenticitySettings.DKIM_KEY_SOURCE, "dns");

        assertThat(read().dkimKeyFile()).isEmpty();
    }

    @Test
    void keySourceFileResolvesAgainstBaseDirectory() throws Exception {
        Path file = file("conf/dkim-keys.txt");
        values.put(AuthenticitySettings.DKIM_KEY_SOURCE, "file:conf/dkim-keys.txt");

        assertThat(read().dkimKeyFile()).contains(file);
    }

    @Test
    void keySourceAbsoluteFileIsRead() throws Exception {
        Path file = file("keys/dkim-keys.txt");
        values.put(AuthenticitySettings.DKIM_KEY_SOURCE, "file:" + file.toAbsolutePath());

        assertThat(read().dkimKeyFile()).contains(file.toAbsolutePath());
    }

    @Test
    void keySourceMissingFileNamesParameter() {
        values.put(AuthenticitySettings.DKIM_KEY_SOURCE, "file:conf/absent.txt");

        assertInvalid(AuthenticitySettings.DKIM_KEY_SOURCE, "missing or unreadable");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:", "ldap", "https://keys.example/", "dns:8.8.8.8"})
    void keySourceOtherValueNamesParameter(String value) {
        values.put(AuthenticitySettings.DKIM_KEY_SOURCE, value);

        assertInvalid(AuthenticitySettings.DKIM_KEY_SOURCE, "expected dns or file:<path>");
    }

    @Test
    void trustAnchorsResolveAgainstBaseDirectory() throws Exception {
        Path file = file("conf/anchors.pem");
        values.put(AuthenticitySettings.SMIME_TRUST_ANCHORS, "conf/anchors.pem");

        assertThat(read().smimeTrustAnchors()).contains(file);
    }

    @Test
    void trustAnchorsMissingFileNamesParameter() {
        values.put(AuthenticitySettings.SMIME_TRUST_ANCHORS, "conf/absent.pem");

        assertInvalid(AuthenticitySettings.SMIME_TRUST_ANCHORS, "missing or unreadable");
    }

    @Test
    void methodListSurvivesJamesListDelimiter() throws Exception {
        // NOTE: James 3.8.1's PropertiesProvider loads acme-smime.properties with
        // DefaultListDelimiterHandler(','), so getString("ca.authenticity") of "dkim,smime"
        // returns "dkim" and "insecure-unsigned,dkim" passes as insecure-unsigned alone.
        Path properties = baseDirectory.resolve("acme-smime.properties");
        Files.writeString(properties, String.join("\n",
            AcmeSmimeConfiguration.DIRECTORY + "=https://ca.example/directory",
            AcmeSmimeConfiguration.PASSPHRASE_SOURCE + "=env:P12_PASSPHRASE",
            AuthenticitySettings.METHODS + "=smime,dkim", ""));
        PropertiesConfiguration configuration = new FileBasedConfigurationBuilder<>(
            PropertiesConfiguration.class).configure(new Parameters().fileBased()
                .setListDelimiterHandler(new DefaultListDelimiterHandler(','))
                .setFile(properties.toFile())).getConfiguration();

        AuthenticitySettings settings = AcmeSmimeConfiguration.from(configuration, baseDirectory,
            name -> Optional.of("s3cret")).authenticity();

        assertThat(settings.methods())
            .containsExactlyInAnyOrder(AuthenticityMethod.DKIM, AuthenticityMethod.SMIME);
    }
}
