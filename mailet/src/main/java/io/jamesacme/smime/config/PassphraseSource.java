package io.jamesacme.smime.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where the PKCS#12 passphrase comes from: {@code file:<path>} (the first line of the file)
 * or {@code env:<VARIABLE>}. The passphrase is read when needed and never kept in the
 * configuration, so it does not end up in a log line or a heap dump of the configuration.
 */
public final class PassphraseSource {
    static final String ALLOWED = "expected 'file:<path>' or 'env:<VARIABLE>'";

    private final String parameter;
    private final String value;
    private final String description;
    private final PassphraseReader reader;

    private PassphraseSource(String parameter, String value, String description,
                             PassphraseReader reader) {
        this.parameter = parameter;
        this.value = value;
        this.description = description;
        this.reader = reader;
    }

    /** Parses a source; relative file paths resolve against {@code baseDirectory}. */
    public static PassphraseSource parse(String parameter, String value, Path baseDirectory,
                                         Function<String, Optional<String>> environment) {
        if (value.startsWith("file:") && value.length() > "file:".length()) {
            Path file = baseDirectory.resolve(value.substring("file:".length()));
            return new PassphraseSource(parameter, value, "file " + file, () -> readFirstLine(parameter, value, file));
        }
        if (value.startsWith("env:") && value.length() > "env:".length()) {
            String variable = value.substring("env:".length());
            return new PassphraseSource(parameter, value, "environment variable " + variable,
                () -> environment.apply(variable)
                    .filter(passphrase -> !passphrase.isEmpty())
                    .orElseThrow(() -> new InvalidConfigurationException(parameter, value,
                        "the environment variable " + variable + " is not set or empty"))
                    .toCharArray());
        }
        throw new InvalidConfigurationException(parameter, value, ALLOWED);
    }

    /**
     * Reads the passphrase; the caller should clear the array after use.
     *
     * @throws InvalidConfigurationException if it cannot be read or is not printable ASCII,
     *         which the JDK's PKCS#12 reader requires
     */
    public char[] read() {
        char[] passphrase = reader.read();
        for (char character : passphrase) {
            if (character < ' ' || character > '~') {
                Arrays.fill(passphrase, '\0');
                throw new InvalidConfigurationException(parameter, value,
                    "the passphrase from " + description + " must be printable ASCII, because "
                        + "the JDK cannot open a PKCS#12 file protected by any other characters");
            }
        }
        return passphrase;
    }

    private static char[] readFirstLine(String parameter, String value, Path file) {
        try {
            String passphrase = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .findFirst()
                .orElse("")
                .strip();
            if (passphrase.isEmpty()) {
                throw new InvalidConfigurationException(parameter, value,
                    "the passphrase file " + file + " is empty");
            }
            return passphrase.toCharArray();
        } catch (IOException e) {
            throw new InvalidConfigurationException(parameter, value,
                "the passphrase file " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return description;
    }

    @FunctionalInterface
    private interface PassphraseReader {
        char[] read();
    }
}
