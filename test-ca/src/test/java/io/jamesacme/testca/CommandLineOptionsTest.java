package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineOptionsTest {

    private static TestCaConfig parse(String... args) throws Exception {
        return CommandLineOptions.parse(args, Map.of());
    }

    @Test
    void defaultsNeedOnlyPassword() throws Exception {
        TestCaConfig config = parse("--imap-password", "secret");
        assertThat(config.httpsPort()).isEqualTo(14000);
        assertThat(config.stateDirectory()).isEqualTo(Path.of("./test-ca-state"));
        assertThat(config.smtpHost()).isEqualTo("127.0.0.1");
        assertThat(config.smtpPort()).isEqualTo(25);
        assertThat(config.imapPort()).isEqualTo(143);
        assertThat(config.imapUser()).isEqualTo(config.caAddress());
        assertThat(config.challengeTiming()).isEqualTo(ChallengeTiming.AFTER_AUTHORIZATION_FETCH);
        assertThat(config.earlyChallengeHold()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.responseWait()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.pollInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.certificateValidity()).isEqualTo(Duration.ofDays(90));
        assertThat(config.challengeSigning()).isEqualTo(ChallengeSigning.UNSIGNED);
        assertThat(config.smtpAuthUser()).isEmpty();
        assertThat(config.smtpAuthPassword()).isEmpty();
        assertThat(config.challengeMailHeld()).isFalse();
        assertThat(config.faults()).isEmpty();
    }

    @Test
    void allOptionsAreApplied() throws Exception {
        TestCaConfig config = parse("--https-port", "0", "--state-dir", "/tmp/ca",
                "--smtp-host", "localhost", "--smtp-port", "2525", "--imap-host", "localhost",
                "--imap-port=1143", "--ca-address", "acme-ca@ca.test", "--imap-user", "ca",
                "--imap-password", "pw", "--challenge-timing", "early",
                "--challenge-mail-delay-ms", "200", "--early-hold-ms", "100",
                "--response-wait-seconds", "5", "--poll-interval-ms", "50",
                "--cert-validity-days", "7", "--challenge-signing", "dkim");
        assertThat(config.httpsPort()).isZero();
        assertThat(config.stateDirectory()).isEqualTo(Path.of("/tmp/ca"));
        assertThat(config.smtpPort()).isEqualTo(2525);
        assertThat(config.imapPort()).isEqualTo(1143);
        assertThat(config.caAddress()).isEqualTo("acme-ca@ca.test");
        assertThat(config.imapUser()).isEqualTo("ca");
        assertThat(config.imapPassword()).isEqualTo("pw");
        assertThat(config.challengeTiming())
                .isEqualTo(ChallengeTiming.BEFORE_AUTHORIZATION_RESPONSE);
        assertThat(config.challengeMailDelay()).isEqualTo(Duration.ofMillis(200));
        assertThat(config.earlyChallengeHold()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.responseWait()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.pollInterval()).isEqualTo(Duration.ofMillis(50));
        assertThat(config.certificateValidity()).isEqualTo(Duration.ofDays(7));
        assertThat(config.challengeSigning()).isEqualTo(ChallengeSigning.DKIM);
    }

    @Test
    void signingModesAreParsed() throws Exception {
        assertThat(parse("--imap-password", "x", "--challenge-signing", "unsigned")
                .challengeSigning()).isEqualTo(ChallengeSigning.UNSIGNED);
        assertThat(parse("--imap-password", "x", "--challenge-signing", "bare")
                .challengeSigning()).isEqualTo(ChallengeSigning.BARE);
        assertThat(parse("--imap-password", "x", "--challenge-signing=smime")
                .challengeSigning()).isEqualTo(ChallengeSigning.SMIME);
    }

    @Test
    void smtpAuthPasswordComesFromFile(@TempDir Path directory) throws Exception {
        Path passwordFile = directory.resolve("smtp-password");
        Files.writeString(passwordFile, "s3cret word\nignored second line\n");

        TestCaConfig config = parse("--imap-password", "x", "--smtp-auth-user", "acme-ca",
                "--smtp-auth-password-file", passwordFile.toString());

        assertThat(config.smtpAuthUser()).contains("acme-ca");
        assertThat(config.smtpAuthPassword()).contains("s3cret word");
    }

    @Test
    void smtpAuthNeedsUserAndReadableFile(@TempDir Path directory) throws Exception {
        Path missing = directory.resolve("missing");
        Path empty = Files.writeString(directory.resolve("empty"), "");

        assertThatThrownBy(() -> parse("--imap-password", "x", "--smtp-auth-user", "ca"))
                .hasMessageContaining("--smtp-auth-password-file");
        assertThatThrownBy(() -> parse("--imap-password", "x",
                "--smtp-auth-password-file", empty.toString()))
                .hasMessageContaining("--smtp-auth-user");
        assertThatThrownBy(() -> parse("--imap-password", "x", "--smtp-auth-user", "ca",
                "--smtp-auth-password-file", missing.toString()))
                .hasMessageContaining("Cannot read").hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> parse("--imap-password", "x", "--smtp-auth-user", "ca",
                "--smtp-auth-password-file", empty.toString()))
                .hasMessageContaining("is empty");
    }

    @Test
    void faultsAreRepeatableInOrder() throws Exception {
        TestCaConfig config = parse("--imap-password", "x", "--fault", "SERVER_ERROR_500:2",
                "--fault", "rate_limited_429:1:7", "--fault=SLOW_RESPONSE:1:3",
                "--fault", "UNAVAILABLE_503:3:0", "--fault", "BAD_NONCE:4");

        assertThat(config.faults()).containsExactly(
                Fault.of(FaultKind.SERVER_ERROR_500, 2),
                Fault.of(FaultKind.RATE_LIMITED_429, 1).withRetryAfter(Duration.ofSeconds(7)),
                Fault.of(FaultKind.SLOW_RESPONSE, 1).withDelay(Duration.ofSeconds(3)),
                Fault.of(FaultKind.UNAVAILABLE_503, 3).withRetryAfter(Duration.ZERO),
                Fault.of(FaultKind.BAD_NONCE, 4));
    }

    @Test
    void invalidFaultsNameValueAndFormat() {
        List<List<String>> cases = List.of(
                List.of("SERVER_ERROR_500", "expected KIND:COUNT[:SECONDS]"),
                List.of("SERVER_ERROR_500:1:2:3", "expected KIND:COUNT[:SECONDS]"),
                List.of("TIMEOUT:1", "Invalid fault kind 'TIMEOUT'"),
                List.of("SERVER_ERROR_500:0", "Invalid COUNT '0'"),
                List.of("SERVER_ERROR_500:many", "Invalid COUNT 'many'"),
                List.of("SERVER_ERROR_500:1:5", "SECONDS applies only to"),
                List.of("BAD_NONCE:1:5", "SECONDS applies only to"),
                List.of("SLOW_RESPONSE:1:0", "SLOW_RESPONSE (from 1)"),
                List.of("UNAVAILABLE_503:1:86401", "from 0 to 86400"),
                List.of("CONNECTION_REFUSED:1", "does not take CONNECTION_REFUSED"));
        for (List<String> testCase : cases) {
            assertThatThrownBy(() -> parse("--imap-password", "x", "--fault", testCase.get(0)))
                    .as(testCase.get(0))
                    .isInstanceOf(CommandLineOptions.UsageException.class)
                    .hasMessageContaining(testCase.get(1))
                    .hasMessageContaining("--fault");
        }
    }

    @Test
    void passwordFromEnvironment() throws Exception {
        TestCaConfig config = CommandLineOptions.parse(new String[0],
                Map.of(CommandLineOptions.PASSWORD_VARIABLE, "from-env"));
        assertThat(config.imapPassword()).isEqualTo("from-env");
    }

    @Test
    void invalidValuesNameOptionAndValue() {
        assertThatThrownBy(() -> parse("--imap-password", "x", "--https-port", "70000"))
                .hasMessageContaining("--https-port").hasMessageContaining("70000")
                .hasMessageContaining("0 to 65535");
        assertThatThrownBy(() -> parse("--imap-password", "x", "--smtp-port", "abc"))
                .hasMessageContaining("--smtp-port").hasMessageContaining("'abc'");
        assertThatThrownBy(() -> parse("--imap-password", "x", "--challenge-timing", "late"))
                .hasMessageContaining("--challenge-timing").hasMessageContaining("late")
                .hasMessageContaining("after-fetch or early");
        assertThatThrownBy(() -> parse("--imap-password", "x", "--challenge-signing", "pgp"))
                .hasMessageContaining("--challenge-signing").hasMessageContaining("'pgp'")
                .hasMessageContaining("unsigned, bare, dkim or smime");
        assertThatThrownBy(() -> parse("--imap-password", "x", "--bogus", "1"))
                .hasMessageContaining("--bogus");
        assertThatThrownBy(() -> parse("--imap-password"))
                .hasMessageContaining("--imap-password needs a value");
        assertThatThrownBy(() -> parse())
                .hasMessageContaining("Missing --imap-password");
    }

    @Test
    void helpListsEveryOptionWithDefaults() {
        String usage = CommandLineOptions.usage();
        for (String option : new String[] {"--https-port", "--state-dir", "--smtp-host",
            "--smtp-port", "--imap-host", "--imap-port", "--ca-address", "--imap-user",
            "--imap-password", "--challenge-timing", "--challenge-mail-delay-ms",
            "--early-hold-ms", "--response-wait-seconds", "--poll-interval-ms",
            "--cert-validity-days", "--challenge-signing", "--smtp-auth-user",
            "--smtp-auth-password-file", "--fault", "--help"}) {
            assertThat(usage).as(option).contains(option);
        }
        assertThat(usage).contains("(default: 14000)").contains("(default: 30)")
                .contains("(default: 90)").contains("MILLISECONDS")
                .contains("--fault KIND:COUNT[:SECONDS]").contains("RATE_LIMITED_429");
        assertThat(CommandLineOptions.wantsHelp(new String[] {"--https-port", "1", "--help"}))
                .isTrue();
    }
}
