package io.jamesacme.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Self-test of {@link JamesWorkingDirectory#setSystemProperty}: a property set there is a system
 * property of the James JVM from its start on, and a restart picks up changes and removals.
 */
class HarnessSystemPropertyIT {

    private static final String PROBE = "io.jamesacme.it.probe";
    /**
     * Logback 1.4 reads this property when it configures itself, which James 3.8.1 triggers
     * before its main method runs.
     */
    private static final String LOGBACK_STATUS_LISTENER = "logback.statusListenerClass";
    /** Start of each status line that the console status listener prints. */
    private static final String LOGBACK_STATUS_LINE = "|-INFO in ch.qos.logback";

    @Test
    void propertiesReachJamesAcrossRestart() throws Exception {
        try (AcmeLab lab = AcmeLab.builder(LabDirectories.fresh("harness-system-property"))
                .acmeSetting("provisioning.enabled", "false")
                .jamesSystemProperty(PROBE, "first run")
                .jamesSystemProperty(LOGBACK_STATUS_LISTENER, "ch.qos.logback.core.status.OnConsoleStatusListener")
                .start()) {
            JamesServer first = lab.james();
            assertThat(systemPropertiesOf(first).getProperty(PROBE)).isEqualTo("first run");
            // /proc/<pid>/cmdline separates the arguments with NUL characters.
            assertThat(Files.readString(Path.of("/proc", String.valueOf(first.pid()), "cmdline")).split("\0"))
                    .contains("-D" + PROBE + "=first run");
            assertThat(first.logOfThisRun()).contains(LOGBACK_STATUS_LINE);

            String secondValue = " second run: \"C:\\temp\" a=1 #2";
            first.workingDirectory().setSystemProperty(PROBE, secondValue);
            first.workingDirectory().removeSystemProperty(LOGBACK_STATUS_LISTENER);
            assertThat(first.workingDirectory().systemProperties()).containsOnlyKeys(PROBE);
            first.kill();
            JamesServer second = lab.restartJames();

            Properties properties = systemPropertiesOf(second);
            assertThat(properties.getProperty(PROBE)).isEqualTo(secondValue);
            assertThat(properties.getProperty(LOGBACK_STATUS_LISTENER)).isNull();
            assertThat(second.logOfThisRun()).doesNotContain(LOGBACK_STATUS_LINE);
        }
    }

    /**
     * Reads the system properties of a running James with {@code jcmd <pid> VM.system_properties},
     * which prints {@code System.getProperties()} of that JVM as it is now, in properties format.
     */
    private static Properties systemPropertiesOf(JamesServer james) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), String.valueOf(james.pid()), "VM.system_properties")
                .redirectErrorStream(true)
                .start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
        assertThat(process.exitValue()).as("exit code of jcmd, output: %s", new String(output)).isZero();
        Properties properties = new Properties();
        properties.load(new ByteArrayInputStream(output));
        return properties;
    }
}
